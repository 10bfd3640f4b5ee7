"""The local Cleanlist: a faithful, stateful simulator of the Cleanlist public API (v2, v1/public).

Serves every operation of the official openapi-v2.json under /api/v2 and /api/v1/public (smart
agents and CSV export links answer 501 with the error envelope), plus the legacy 5-endpoint API
(auth/validate-key, enrich/bulk, enrich/status, webhooks/deliveries) under /api/v1/public only.

It imports nothing from the rest of csv_enrich: the wire format is written here a second time on
purpose, so a wrong assumption in the client fails a test instead of being mirrored by the fake.

Modules, from the base up: `config` (the knobs), `records` (stored records), `wire` (the error
envelope), `data` (synthetic people and companies), `limits` (token buckets), `faults`, `quotes`,
`ledger`, `pricing`, `csvimport`, `workflows`; `state` (the organisation, lists, workflows: the
backend) and `persist` (--state FILE); `schemas` (request validation), `endpoint` (what a route
table is made of), the route tables `routes_core`, `routes_bulk`, `routes_cohort`, `routes_more`,
`routes_legacy` and `admin` (/_sandbox controls); `app` (the HTTP skin) and `server` (uvicorn in a
thread).

Public API::

    SandboxConfig(...)                    knobs (credits, rate limits, faults, time scale, files)
    create_app(config) -> Starlette       app.state.sandbox is the SandboxState
    SandboxServer(config, host, port)     context manager: uvicorn in a thread on a free port;
                                          .base_url ("http://127.0.0.1:PORT/api/v2"), .api_key,
                                          .state, .ledger()
    serve(config, host, port, on_ready)   blocking; on_ready(base_url, api_key) once listening

Ledger (GET /_sandbox/ledger, SandboxServer.ledger(), and JSON lines in --ledger FILE where every
line carries "type": "charge" | "settlement" | "request")::

    {"balance": int,                      the organisation's balance now
     "charged_total": int,                sum of all charges
     "charges": [{"identity": str,        sandbox-normalised: "email:jane@acme.io",
                                          "linkedin:jane-doe", "person_id:...",
                                          "name:first|last|domain-or-company", "domain:acme.io"
                  "kind": "person" | "company",
                  "workflow_id": str | None,   None for company (settled inline)
                  "credits": int, "at": float}],   epoch seconds
     "settlements": [{"workflow_id", "reserved", "charged", "refunded", "held", "at"}],
                                          held = unused reservation kept for manual review
                                          (a failed run that charged: refund_status
                                          "pending_review"; off unless workflow_failure_rate)
     "requests": [{"method", "path", "status", "at"}]}   every /api request; status 0 = dropped

"Was any identity charged twice?" -> Counter(c["identity"] for c in charges); "what did the API
settle in total?" -> charged_total (or sum over settlements + company charges).

Test controls (outside /api, no auth): POST /_sandbox/keys {"scopes": [...]} mints a key with
limited scopes; POST /_sandbox/config flips faults, the CSV-import kill switch, latency, rate
limits, time scale and the balance (see admin.py); POST /_sandbox/tasks makes a company cohort for
by-task. State lives in memory unless `state_file` is set.

Faults ("drop", "lost_answer") close the connection after starting a response: over a socket the
client sees a transport error (httpx.RemoteProtocolError); through httpx.ASGITransport the app
raises ConnectionDropped instead.
"""

from __future__ import annotations

from .app import ConnectionDropped, create_app
from .config import ALL_SCOPES, FAULT_KINDS, SandboxConfig
from .server import SandboxServer, serve
from .state import SandboxState

__all__ = [
    "ALL_SCOPES",
    "ConnectionDropped",
    "FAULT_KINDS",
    "SandboxConfig",
    "SandboxServer",
    "SandboxState",
    "create_app",
    "serve",
]
