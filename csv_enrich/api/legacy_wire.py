"""The legacy 5-endpoint API's wire format (CONTRACT.md §9, assumptions 22-27), as the client
reads it: contacts in the legacy field names, the submission's task ids, the status envelope.

The legacy API lives only under ``/api/v1/public`` and answers errors in FastAPI's
``{"detail": ...}`` shape (wire.error_from_response reads both shapes).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from csv_enrich.api.limits import MAX_CONTACTS as MAX_CONTACTS
from csv_enrich.api.limits import can_take as can_take
from csv_enrich.models import Identity

V2_SUFFIX = "/api/v2"
V1_SUFFIX = "/api/v1/public"
LEGACY_LIST_NAMES = ("extension leads", "default")  # the protected per-user list (§9)


@dataclass(frozen=True)
class LegacySubmitted:
    """A legacy bulk submission: its workflow and one task id per contact, in order."""

    workflow_id: str
    task_ids: tuple[str, ...]


@dataclass(frozen=True)
class LegacyResult:
    """One contact's result: `status` processing | completed | failed; `data` as Outcome.data
    keys (empty when nothing was found)."""

    task_id: str
    status: str
    data: Mapping[str, str]

    @property
    def ended(self) -> bool:
        return self.status != "processing"


@dataclass(frozen=True)
class LegacyStatus:
    """GET /enrich/status?workflow_id=: the run and its results in task order."""

    workflow_id: str
    status: str
    list_id: str | None
    results: tuple[LegacyResult, ...]
    credits_charged: float | None = None

    @property
    def terminal(self) -> bool:
        return self.status in ("completed", "failed", "cancelled")


def legacy_base(base_url: str) -> str:
    """The legacy API's base for a configured v2 base (…/api/v2 -> …/api/v1/public)."""
    parts = urlsplit(base_url.rstrip("/"))
    path = parts.path
    if path.endswith(V2_SUFFIX):
        path = path[: -len(V2_SUFFIX)] + V1_SUFFIX
    elif not path.endswith(V1_SUFFIX):
        path += V1_SUFFIX
    return urlunsplit((parts.scheme, parts.netloc, path, "", ""))


def contact(ident: Identity) -> dict[str, str]:
    """An identity as a legacy contact (email sent along when the row has one)."""
    fields = {"linkedin_url": ident.linkedin_url, "first_name": ident.first_name,
              "last_name": ident.last_name, "company_domain": ident.domain,
              "company_name": ident.company_name, "email": ident.email}
    return {k: v for k, v in fields.items() if v}


def parse_legacy_submitted(body: Mapping[str, Any]) -> LegacySubmitted:
    """POST /enrich/bulk -> LegacySubmitted."""
    return LegacySubmitted(str(body["workflow_id"]),
                           tuple(str(t) for t in body.get("task_ids") or ()))


def _text(value: Any) -> str | None:
    return None if value in (None, "") else str(value)


def _object(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, dict) else {}


def _result_data(raw: Mapping[str, Any]) -> dict[str, str]:
    prospect = _object(raw.get("prospect"))
    company = _object(raw.get("company"))
    phones = [p for p in raw.get("personal_phone_numbers") or () if p]
    found = {
        "email": _text(raw.get("primary_email")),
        "email_status": _text(raw.get("primary_email_status")) if raw.get("primary_email")
        else None,
        "phone": _text(phones[0]) if phones else None,
        "linkedin_url": _text(prospect.get("linkedin_url")),
        "full_name": _text(prospect.get("full_name")),
        "title": _text(prospect.get("title")),
        "company": _text(company.get("name")),
    }
    if not (found["email"] or found["phone"]):
        return {}
    return {k: v for k, v in found.items() if v is not None}


def parse_legacy_status(body: Mapping[str, Any]) -> LegacyStatus:
    """GET /enrich/status -> LegacyStatus (unknown result statuses count as still running)."""
    results = []
    for raw in body.get("results") or ():
        if not isinstance(raw, dict) or not raw.get("task_id"):
            continue
        state = str(raw.get("status") or "processing")
        state = state if state in ("completed", "failed") else "processing"
        data = _result_data(raw) if state == "completed" else {}
        results.append(LegacyResult(str(raw["task_id"]), state, data))
    charged = body.get("credits_charged")
    return LegacyStatus(str(body["workflow_id"]), str(body.get("status") or "processing"),
                        _text(body.get("lead_list_id")), tuple(results),
                        float(charged) if isinstance(charged, int | float) else None)
