"""The sandbox's own wire format: the error envelope (CONTRACT.md §2.2) and the 422 detail shape."""

from __future__ import annotations

import secrets
import time
from typing import Any

DOCS = "https://docs.cleanlist.ai/errors/"

ERROR_DEFAULTS: dict[str, tuple[int, bool, str]] = {
    "unauthorized": (401, False, "Send 'Authorization: Bearer clapi_...' with a valid API key."),
    "insufficient_scope": (403, False, "Re-issue the API key with the required scope."),
    "not_found": (404, False, "Check the id; only resources of your organisation are visible."),
    "validation_error": (400, False, "Fix the request body as described and send it again."),
    "insufficient_credits": (400, False, "Top up at app.cleanlist.ai/billing, or reduce scope."),
    "spend_cap_exceeded": (400, False, "Request a new quote with POST /credits/estimate."),
    "quote_expired": (400, False, "Request a new quote with POST /credits/estimate."),
    "quote_mismatch": (400, False, "Request a quote for exactly this call."),
    "quote_already_used": (409, False, "Quotes are single-use; request a new one."),
    "missing_column": (400, False, "Map only headers that exist in the CSV."),
    "payload_too_large": (413, False, "Split the CSV into chunks of at most 150 KB."),
    "feature_disabled": (503, True, "CSV import is switched off; use another endpoint."),
    "rate_limited": (429, True, "Wait Retry-After seconds, then retry."),
    "internal_error": (500, True, "Retry with backoff."),
    "service_unavailable": (503, True, "Retry with backoff."),
    "not_implemented": (501, False, "This endpoint is not simulated by the sandbox."),
    "method_not_allowed": (405, False, "Use the documented HTTP method."),
    "invalid_cursor": (400, False, "Pass a cursor returned by a previous page."),
    "list_cap_reached": (403, False, "Delete lists you no longer need, or upgrade the plan."),
    "list_protected": (403, False, "Protected lists cannot be edited or deleted."),
}


def request_id() -> str:
    """A correlation id like the real service's: req_ + 16 hex chars."""
    return "req_" + secrets.token_hex(8)


def now_ms() -> int:
    """Server time in epoch milliseconds, the envelope's `timestamp_ms`."""
    return int(time.time() * 1000)


class ApiError(Exception):
    """An error the handler answers with the error envelope."""

    def __init__(self, code: str, problem: str, **extra: Any) -> None:
        super().__init__(problem)
        status, retryable, fix = ERROR_DEFAULTS[code]
        self.status: int = extra.pop("status", status)
        self.code = code
        self.problem = problem
        self.retryable: bool = extra.pop("retryable", retryable)
        self.fix: str = extra.pop("fix", fix)
        self.extra = extra

    def body(self, req_id: str) -> dict[str, Any]:
        """The `{"error": {...}}` envelope for this error."""
        err: dict[str, Any] = {
            "code": self.code,
            "problem": self.problem,
            "cause": None,
            "fix": self.fix,
            "retryable": self.retryable,
            "retry_after_ms": None,
            "docs_url": DOCS + self.code.replace("_", "-"),
            "request_id": req_id,
        }
        err.update(self.extra)
        return {"error": err}


class SchemaError(Exception):
    """A FastAPI-style 422: the body or a parameter failed the schema."""

    def __init__(self, detail: list[dict[str, Any]]) -> None:
        super().__init__(f"{len(detail)} schema errors")
        self.detail = detail


def detail(loc: list[str | int], msg: str, type_: str) -> dict[str, Any]:
    """One entry of the 422 `detail` array."""
    return {"loc": loc, "msg": msg, "type": type_}
