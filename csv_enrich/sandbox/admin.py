"""/_sandbox/*: test and operator controls outside the API (no auth, no rate limit, no faults).

  GET  /_sandbox/ledger   the ledger (see the package docstring)
  POST /_sandbox/keys     {"scopes": [...], "organization_id"?: str, "credits"?: int} -> {"api_key"}
  POST /_sandbox/tasks    {"entity_kind": "company", "entity_ids": ["stripe.com", ...]} ->
                          {"task_id"}: a cohort for by-task (the sandbox simulates no search)
  POST /_sandbox/config   change knobs at run time: fault_rate, fault_weights, force_faults (list
                          of kinds for the next requests), force_faults_on (list of [path
                          suffix, kind] for the next request to that path), csv_import,
                          company_quotes, latency_ms, time_scale, rate_limit_per_min,
                          org_rate_limit_per_min, credits (sets the balance)
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import BaseRoute, Route

from .config import COMPANY_QUOTES
from .limits import RateLimiter
from .state import DEFAULT_ORG, SandboxState


def _state(request: Request) -> SandboxState:
    state: SandboxState = request.app.state.sandbox
    return state


async def ledger(request: Request) -> JSONResponse:
    """GET /_sandbox/ledger."""
    state = _state(request)
    with state.lock:
        return JSONResponse(state.ledger.snapshot(state.balance()))


async def keys(request: Request) -> JSONResponse:
    """POST /_sandbox/keys: mint a key with the given scopes."""
    try:
        body = await request.json()
    except ValueError:
        body = None
    scopes = body.get("scopes") if isinstance(body, dict) else None
    if not isinstance(scopes, list) or not all(isinstance(s, str) for s in scopes):
        return JSONResponse({"detail": "scopes must be a list of strings"}, 400)
    state = _state(request)
    assert isinstance(body, dict)
    key = state.add_key(scopes, body.get("organization_id") or DEFAULT_ORG, body.get("credits", 0))
    return JSONResponse({"api_key": key, "scopes": scopes}, 201)


def apply_config(state: SandboxState, body: dict[str, Any]) -> dict[str, Any]:
    """Apply run-time changes; return the knobs now in force."""
    cfg, faults = state.config, state.faults
    with state.lock:
        for name in ("latency_ms", "time_scale", "rate_limit_per_min", "org_rate_limit_per_min"):
            if name in body:
                setattr(cfg, name, body[name])
        if "fault_rate" in body:
            faults.rate = cfg.fault_rate = float(body["fault_rate"])
        if "fault_weights" in body:
            faults.weights = dict(body["fault_weights"])
        faults.forced.extend(body.get("force_faults", []))
        faults.forced_on.extend((str(p), str(k)) for p, k in body.get("force_faults_on", []))
        if "csv_import" in body:
            state.csv_import = bool(body["csv_import"])
        if body.get("company_quotes") in COMPANY_QUOTES:
            cfg.company_quotes = str(body["company_quotes"])
        if "credits" in body:
            state.orgs[DEFAULT_ORG].balance = int(body["credits"])
        state.limiter = RateLimiter(cfg.rate_limit_per_min, cfg.org_rate_limit_per_min,
                                    cfg.rate_window_s)
        return {"fault_rate": faults.rate, "fault_weights": faults.weights,
                "csv_import": state.csv_import, "company_quotes": cfg.company_quotes,
                "latency_ms": cfg.latency_ms,
                "time_scale": cfg.time_scale, "rate_limit_per_min": cfg.rate_limit_per_min,
                "org_rate_limit_per_min": cfg.org_rate_limit_per_min}


async def tasks(request: Request) -> JSONResponse:
    """POST /_sandbox/tasks: a cohort handle, e.g. of companies (the sandbox has no search)."""
    body = await request.json()
    kind, ids = body.get("entity_kind", "company"), body.get("entity_ids")
    if kind not in ("person", "company") or not isinstance(ids, list) or not ids:
        return JSONResponse({"detail": "entity_kind person|company and entity_ids needed"}, 400)
    state = _state(request)
    with state.lock:
        org = body.get("organization_id") or DEFAULT_ORG
        return JSONResponse({"task_id": state.new_task(org, kind, [str(i) for i in ids])}, 201)


async def config(request: Request) -> JSONResponse:
    """POST /_sandbox/config."""
    return JSONResponse(apply_config(_state(request), await request.json()))


ROUTES: list[BaseRoute] = [
    Route("/_sandbox/ledger", ledger, methods=["GET"]),
    Route("/_sandbox/keys", keys, methods=["POST"]),
    Route("/_sandbox/config", config, methods=["POST"]),
    Route("/_sandbox/tasks", tasks, methods=["POST"]),
]
