"""Routes: the HTTP skin over SandboxState, mounted under /api/v2 and /api/v1/public.

Every /api request goes through `_run`: faults, auth, rate limit, scope, body schema (422), the
handler under the state lock, the error envelope, the ledger line, and the state file.
"""

from __future__ import annotations

import json
import logging
import math
from typing import Any

import anyio
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.types import Receive, Scope, Send

from .config import SandboxConfig
from .endpoint import BodyCheck, Ctx, Endpoint
from .records import Key
from .state import SandboxState
from .wire import ApiError, SchemaError, detail, request_id

LOG = logging.getLogger("csv_enrich.sandbox")


class ConnectionDropped(Exception):
    """Raised inside the ASGI app so the server closes the connection without an answer."""


class DropConnection(Response):
    """Start a response, then fail: uvicorn closes the socket and the client sees a broken reply."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        headers = [(b"content-type", b"application/json"), (b"content-length", b"64")]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        raise ConnectionDropped("sandbox fault: connection dropped")


LEGACY_STATUS = {"insufficient_credits": 402}
LEGACY_TEXT = {"unauthorized": "Not authenticated", "insufficient_credits": "Insufficient credits"}


def _error(exc: ApiError, req_id: str, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse(exc.body(req_id), status_code=exc.status, headers=headers)


def _rate_limited(ms: int, req_id: str) -> JSONResponse:
    exc = ApiError("rate_limited", "Rate limit exceeded (per key and per organisation).")
    body = exc.body(req_id)
    body["error"]["retry_after_ms"] = ms
    return JSONResponse(body, 429, headers={"Retry-After": str(math.ceil(ms / 1000))})


def _authenticate(state: SandboxState, request: Request) -> Key:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    key = state.auth(token.strip()) if scheme.lower() == "bearer" else None
    if key is None or not token.startswith("clapi_"):
        raise ApiError("unauthorized", "Missing, malformed, unknown or revoked API key.")
    return key


def _check_scope(key: Key, scope: str | None) -> None:
    if scope is None:
        return
    aliases = {scope, scope.replace("enrich:", "enrichment:")}
    if not aliases & set(key.scopes):
        raise ApiError(
            "insufficient_scope",
            f"This call requires the '{scope}' scope, which is not granted to the "
            "authenticating credential.",
            details={"required": scope, "granted": list(key.scopes)},
        )


async def _read_body(request: Request, check: BodyCheck | None) -> dict[str, Any]:
    if check is None:
        return {}
    raw = await request.body()
    try:
        parsed = json.loads(raw) if raw else None
    except ValueError:
        raise SchemaError([detail(["body", 0], "JSON decode error", "json_invalid")]) from None
    if parsed is None:
        raise SchemaError([detail(["body"], "Field required", "missing")])
    return check(parsed)


async def _pre(state: SandboxState, ep: Endpoint, request: Request) -> Ctx:
    key = _authenticate(state, request)
    _check_scope(key, ep.scope)
    body = await _read_body(request, ep.body)
    if ep.extra_scope is not None:
        _check_scope(key, ep.extra_scope(body))
    return Ctx(state, key, request, body)


def _legacy_shape(response: Response) -> Response:
    """The legacy API answers every error in FastAPI's {"detail": "..."} shape (CONTRACT.md
    §2.5), 429 and 5xx included; the Retry-After header stays."""
    if not isinstance(response, JSONResponse) or response.status_code < 400:
        return response
    body = json.loads(bytes(response.body))
    if "detail" in body or not isinstance(body.get("error"), dict):
        return response
    retry = {"Retry-After": response.headers["retry-after"]} if "retry-after" in \
        response.headers else None
    return JSONResponse({"detail": body["error"].get("problem", "")}, response.status_code,
                        headers=retry)


async def _run(ep: Endpoint, request: Request) -> Response:
    state: SandboxState = request.app.state.sandbox
    req_id = request_id()
    method, path = request.method, request.url.path
    response = await _answer(state, ep, request, req_id)
    if ep.legacy:
        response = _legacy_shape(response)
    status = 0 if isinstance(response, DropConnection) else response.status_code
    with state.lock:
        state.ledger.request(method, path, status)
    return response


async def _delay(state: SandboxState, fault: str | None) -> None:
    ms = state.config.latency_ms + (state.config.fault_latency_ms if fault == "latency" else 0)
    if ms > 0:
        await anyio.sleep(ms / 1000)


async def _answer(state: SandboxState, ep: Endpoint, request: Request, req_id: str) -> Response:
    fault = state.faults.draw(request.url.path)
    await _delay(state, fault)
    if fault == "drop":
        return DropConnection()
    if fault == "5xx":
        code = state.faults.status_5xx()
        err = ApiError("internal_error", "Simulated upstream failure.", status=code)
        return _error(err, req_id)
    try:
        key = _authenticate(state, request)
        with state.lock:
            wait_ms = 1000 if fault == "429_burst" else state.limiter.check(key.key, key.org_id)
        if wait_ms:
            return _rate_limited(wait_ms, req_id)
        ctx = await _pre(state, ep, request)
        with state.lock:
            state.tick()
            status, payload = ep.handler(ctx)
            if request.method != "GET" or state.has_active_runs:
                state.save()
    except ApiError as exc:
        if ep.legacy:
            text = LEGACY_TEXT.get(exc.code, exc.problem)
            return JSONResponse({"detail": text}, LEGACY_STATUS.get(exc.code, exc.status),
                                headers=_retry_header(exc))
        return _error(exc, req_id, _retry_header(exc))
    except SchemaError as exc:
        return JSONResponse({"detail": exc.detail}, 422)
    except Exception:  # a sandbox bug: answer like a server would, keep serving, log it
        LOG.exception("sandbox handler failed: %s %s", request.method, request.url.path)
        return _error(ApiError("internal_error", "The sandbox failed on this request."), req_id)
    if fault == "late_answer":
        await anyio.sleep(state.config.fault_latency_ms / 1000)
    return DropConnection() if fault == "lost_answer" else JSONResponse(payload, status)


def _retry_header(exc: ApiError) -> dict[str, str] | None:
    ms = exc.extra.get("retry_after_ms")
    return {"Retry-After": str(math.ceil(ms / 1000))} if ms else None


def _route(ep: Endpoint) -> Route:
    async def call(request: Request) -> Response:
        return await _run(ep, request)

    return Route(ep.path, call, methods=[ep.method])


async def _not_found(request: Request, exc: Exception) -> Response:
    status = exc.status_code if isinstance(exc, HTTPException) else 500
    code = {404: "not_found", 405: "method_not_allowed"}.get(status, "internal_error")
    err = ApiError(code, f"No route for {request.method} {request.url.path}.", status=status)
    return _error(err, request_id())


class _DropFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        exc = record.exc_info[1] if record.exc_info else None
        return not isinstance(exc, ConnectionDropped) and not (
            isinstance(exc, BaseExceptionGroup) and exc.subgroup(ConnectionDropped) is not None
        )


def create_app(config: SandboxConfig) -> Starlette:
    """The sandbox as an ASGI app; `app.state.sandbox` is its SandboxState."""
    from . import admin, routes_bulk, routes_cohort, routes_core, routes_legacy, routes_more

    endpoints = (routes_core.ENDPOINTS + routes_bulk.ENDPOINTS + routes_cohort.ENDPOINTS
                 + routes_more.ENDPOINTS)
    api: list[BaseRoute] = [_route(ep) for ep in endpoints]
    legacy: list[BaseRoute] = [_route(ep) for ep in routes_legacy.ENDPOINTS]
    routes: list[BaseRoute] = [Mount("/api/v2", routes=api),
                               Mount("/api/v1/public", routes=api + legacy)]
    routes += admin.ROUTES
    app = Starlette(routes=routes, exception_handlers={HTTPException: _not_found})
    app.state.sandbox = SandboxState(config)
    log = logging.getLogger("uvicorn.error")
    if not any(isinstance(f, _DropFilter) for f in log.filters):
        log.addFilter(_DropFilter())
    return app
