"""The Cleanlist wire format as the client reads it: answer records, their parsers, and the two
error shapes of CONTRACT.md §2 mapped onto `errors.py`. Part of the client (client.py sends,
this reads); the sandbox writes the same format independently, on purpose.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from csv_enrich import errors
from csv_enrich.api.limits import MAX_ROWS as MAX_ROWS

# -- the wire format: answers and errors -------------------------------------------------------

TERMINAL = frozenset({"completed", "failed", "cancelled"})
PERSON_RESULT_KEYS = ("email", "email_status", "phone", "linkedin_url", "full_name", "title",
                      "company")
COMPANY_RESULT_KEYS = {
    "name": "company_name", "domain": "domain", "industry": "industry",
    "employee_count": "employee_count", "employee_count_range": "employee_count_range",
    "revenue_range": "revenue_range", "hq_location": "hq_location",
    "funding_stage": "funding_stage", "tech_stack": "tech_stack", "linkedin_url": "linkedin_url",
}


@dataclass(frozen=True)
class Submitted:
    """An async workflow the API accepted, with what it reserved."""

    workflow_id: str
    credits_reserved: int
    list_id: str | None = None
    total: int | None = None


@dataclass(frozen=True)
class WorkflowStatus:
    """A parsed status answer. `result` is the person's data (Outcome.data keys) when found."""

    workflow_id: str
    status: str
    credits_charged: int | None = None
    credits_refunded: int | None = None
    refund_status: str | None = None
    refund_message: str | None = None
    progress: int | None = None
    total: int | None = None
    processed: int | None = None
    lead_id: str | None = None
    result: Mapping[str, str] | None = None
    completed: int | None = None
    failed: int | None = None
    enrichment_type: str | None = None
    lead_list_id: str | None = None
    summary: Mapping[str, int] = field(default_factory=dict)

    @property
    def terminal(self) -> bool:
        """Completed, failed or cancelled (any other status string is still running)."""
        return self.status in TERMINAL


@dataclass(frozen=True)
class CohortEntity:
    """One entity of a by-task answer: queued (person) or looked up inline (company)."""

    entity_id: str
    status: str
    error: str | None = None
    data: Mapping[str, str] = field(default_factory=dict)  # company data, Outcome.data keys


@dataclass(frozen=True)
class CohortRun:
    """POST /enrichment/by-task: a person workflow to poll, or company results inline."""

    entity_kind: str
    workflow_id: str | None
    status: str
    total: int
    credits_reserved: int
    entities: tuple[CohortEntity, ...] = ()


@dataclass(frozen=True)
class CompanyAnswer:
    """A company lookup: its data (Outcome.data keys) and the credits it settled."""

    data: Mapping[str, str]
    credits_charged: int


@dataclass(frozen=True)
class CsvImport:
    """What a csv-import did."""

    rows_parsed: int
    rows_imported: int
    rows_skipped: int
    replayed: bool = False


@dataclass(frozen=True)
class Quote:
    """A signed, single-use spending cap for one bulk call."""

    quote_id: str
    estimated_cost: int
    row_count: int
    expires_at: int
    available_credits: int
    sufficient: bool


@dataclass(frozen=True)
class Lead:
    """One lead of a list, as Outcome.data keys plus the names used to join it back."""

    lead_id: str
    data: Mapping[str, str]
    first_name: str | None = None
    last_name: str | None = None
    domain: str | None = None  # the employer's domain (export only)


@dataclass(frozen=True)
class LeadColumns:
    """A page of leads as columns (LEAD_COLUMNS, one value per lead: what `Lead` holds, null
    where unset; `named`: the full_name was made of the first and last names, so it comes last
    in the lead's data) and the cursor of the next page (None on the last page)."""

    columns: Mapping[str, list[Any]]
    count: int
    total: int
    cursor: str | None


@dataclass(frozen=True)
class LeadsPage:
    """A page of leads and the cursor of the next one (None on the last page)."""

    leads: tuple[Lead, ...]
    total: int
    cursor: str | None


def _text(value: Any) -> str | None:
    if value is None or value == "":
        return None
    if isinstance(value, list):
        return ", ".join(str(v) for v in value if v not in (None, "")) or None
    return str(value)


def _int(value: Any) -> int | None:
    return None if value is None else int(value)


def _pick(raw: Mapping[str, Any], keys: Mapping[str, str]) -> dict[str, str]:
    return {out: t for src, out in keys.items() if (t := _text(raw.get(src))) is not None}


def _person_data(raw: Mapping[str, Any]) -> dict[str, str]:
    data = _pick(raw, {k: k for k in PERSON_RESULT_KEYS})
    if "full_name" not in data:
        names = [n for n in (_text(raw.get("first_name")), _text(raw.get("last_name"))) if n]
        if names:
            data["full_name"] = " ".join(names)
    return data


def parse_submitted(body: Mapping[str, Any]) -> Submitted:
    """POST /enrichment/person or /enrichment/bulk -> Submitted."""
    return Submitted(
        workflow_id=str(body["workflow_id"]),
        credits_reserved=int(body.get("credits_reserved") or 0),
        list_id=_text(body.get("lead_list_id")),
        total=_int(body.get("total_leads")),
    )


def parse_status(body: Mapping[str, Any]) -> WorkflowStatus:
    """GET /enrichment/status/{id} -> WorkflowStatus (person data only when a lead was found)."""
    raw = body.get("result")
    lead_id = _text(raw.get("lead_id")) if isinstance(raw, dict) else None
    found = isinstance(raw, dict) and lead_id is not None and raw.get("status") != "failed"
    return WorkflowStatus(
        workflow_id=str(body["workflow_id"]),
        status=str(body["status"]),
        credits_charged=_int(body.get("credits_charged")),
        credits_refunded=_int(body.get("credits_refunded")),
        refund_status=_text(body.get("refund_status")),
        refund_message=_text(body.get("refund_message")),
        progress=_int(body.get("progress")),
        total=_int(body.get("total")),
        processed=_int(body.get("processed")),
        lead_id=lead_id,
        result=_person_data(raw) if found and isinstance(raw, dict) else None,
        completed=_int(body.get("completed")),
        failed=_int(body.get("failed")),
        enrichment_type=_text(body.get("enrichment_type")),
        lead_list_id=_text(body.get("lead_list_id")),
        summary={str(k): int(v) for k, v in (body.get("summary") or {}).items()
                 if isinstance(v, int | float)},
    )


def parse_cohort_run(body: Mapping[str, Any]) -> CohortRun:
    """POST /enrichment/by-task -> CohortRun."""
    entities = tuple(
        CohortEntity(str(r["entity_id"]), str(r.get("status") or ""), _text(r.get("error")),
                     _pick(r.get("company") or {}, COMPANY_RESULT_KEYS))
        for r in body.get("results") or ())
    return CohortRun(str(body["entity_kind"]), _text(body.get("workflow_id")),
                     str(body["status"]), int(body.get("total_entities") or 0),
                     int(body.get("credits_reserved") or 0), entities)


def parse_company(body: Mapping[str, Any]) -> CompanyAnswer:
    """POST /enrichment/company -> CompanyAnswer."""
    record = body.get("company") or {}
    return CompanyAnswer(data=_pick(record, COMPANY_RESULT_KEYS),
                         credits_charged=int(body.get("credits_charged") or 0))


def parse_csv_import(body: Mapping[str, Any]) -> CsvImport:
    """POST /lead-lists/{id}/csv-import -> CsvImport."""
    return CsvImport(int(body["rows_parsed"]), int(body["rows_imported"]),
                     int(body["rows_skipped"]), bool(body.get("idempotency_replayed")))


def parse_quote(body: Mapping[str, Any]) -> Quote:
    """POST /credits/estimate -> Quote."""
    return Quote(str(body["quote_id"]), int(body["estimated_cost"]), int(body["row_count"]),
                 int(body["expires_at"]), int(body["available_credits"]), bool(body["sufficient"]))


def parse_leads_page(body: Mapping[str, Any]) -> LeadsPage:
    """GET /lead-lists/{id}/leads or /export/json -> LeadsPage."""
    leads = tuple(
        Lead(str(r["lead_id"]), _shared(_person_data(r)), _text(r.get("first_name")),
             _text(r.get("last_name")), _shared_text(r.get("domain")))
        for r in body.get("leads") or ()
    )
    return LeadsPage(leads, int(body.get("total") or 0), _text(body.get("cursor")))


LEAD_COLUMNS = ("lead_id", "first_name", "last_name", "domain", *PERSON_RESULT_KEYS, "named")


def parse_leads_columns(body: Mapping[str, Any]) -> LeadColumns:
    """GET /lead-lists/{id}/leads or /export/json -> LeadColumns: the same values as
    parse_leads_page, one list per column instead of one object per lead."""
    rows = body.get("leads") or ()
    cols: dict[str, list[Any]] = {c: [_text(r.get(c)) for r in rows] for c in LEAD_COLUMNS[1:-1]}
    cols["lead_id"] = [str(r["lead_id"]) for r in rows]
    named = [False] * len(rows)
    full = cols["full_name"]
    for n, (text, first, last) in enumerate(zip(full, cols["first_name"], cols["last_name"],
                                                strict=True)):
        if text is None and (first or last):
            full[n] = " ".join(name for name in (first, last) if name)
            named[n] = True
    cols["named"] = named
    return LeadColumns(cols, len(rows), int(body.get("total") or 0), _text(body.get("cursor")))


# Lead values many leads of a list repeat (a status, a title, an employer): one string each
# however many leads hold it, not one per lead (a whole list is held to join it back).
_SHARED_KEYS = ("email_status", "title", "company")


def _shared(data: dict[str, str]) -> dict[str, str]:
    for key in _SHARED_KEYS:
        if key in data:
            data[key] = sys.intern(data[key])
    return data


def _shared_text(value: Any) -> str | None:
    text = _text(value)
    return None if text is None else sys.intern(text)


# -- errors: both shapes (envelope and 422 detail) -> the typed tree ----------------------------

_QUOTE_CODES = frozenset({"quote_expired", "quote_mismatch", "quote_already_used", "quote_invalid",
                          "quote_required", "spend_cap_exceeded", "stale_quote"})


@dataclass(frozen=True)
class _Parsed:
    code: str
    problem: str
    fix: str
    request_id: str | None
    retry_after_ms: float | None
    extra: dict[str, Any]


def _parse_error_body(status: int, body: Any) -> _Parsed:
    """Read either error shape; tolerate anything else (an HTML 502 page, an empty body)."""
    if isinstance(body, dict) and isinstance(body.get("error"), dict):
        env = body["error"]
        extra = {k: v for k, v in env.items()
                 if k not in ("code", "problem", "fix", "request_id", "retry_after_ms")}
        return _Parsed(str(env.get("code") or ""), str(env.get("problem") or ""),
                       str(env.get("fix") or ""), _text(env.get("request_id")),
                       _float(env.get("retry_after_ms")), extra)
    detail = body.get("detail") if isinstance(body, dict) else None
    if isinstance(detail, list):
        parts = [f"{'.'.join(str(x) for x in d.get('loc', ()))}: {d.get('msg', '')}"
                 for d in detail if isinstance(d, dict)]
        return _Parsed("validation_error", "; ".join(parts), "", None, None, {"detail": detail})
    text = detail if isinstance(detail, str) else ""
    return _Parsed("", text, "", None, None, {})


def _float(value: Any) -> float | None:
    try:
        return None if value is None else float(value)
    except (TypeError, ValueError):
        return None


def _retry_after(parsed: _Parsed, headers: Mapping[str, str]) -> float | None:
    if parsed.retry_after_ms is not None:
        return max(0.0, parsed.retry_after_ms / 1000)
    header = _float(headers.get("retry-after"))
    return None if header is None else max(0.0, header)


def _classify(status: int, code: str) -> tuple[type[errors.ApiError], str]:
    """The error class and the 'what to do' sentence, by HTTP status first and code second."""
    if status == 401:
        return errors.AuthError, ("The API key was refused. Set CLEANLIST_API_KEY to an active "
                                  "clapi_ key (or use --sandbox).")
    if status == 403:
        return errors.AuthError, ("The API key lacks a scope or the plan lacks a feature; "
                                  "re-issue the key with the scopes csv-enrich needs.")
    if code == "insufficient_credits" or status == 402:
        return errors.InsufficientCreditsError, "Top up the balance or enrich fewer rows."
    if code in _QUOTE_CODES or (status == 409 and code.startswith("quote")):
        return errors.QuoteError, "Run the same command again: it fetches a fresh quote."
    if status == 404:
        return errors.NotFoundError, "Check the id, or that the key's organisation can see it."
    if status == 429:
        return errors.RateLimitedError, ("Lower --rate-limit or --concurrency, or run the same "
                                         "command again later: it resumes.")
    if status >= 500:
        return errors.ServerError, "Run the same command again later: it resumes."
    return errors.RequestRejectedError, "This is likely a csv-enrich bug; please report it."


def error_from_response(status: int, body: Any, headers: Mapping[str, str], *,
                        secret: str = "") -> errors.ApiError:
    """Map an error answer (envelope, 422 detail, legacy detail or garbage) to an ApiError."""
    parsed = _parse_error_body(status, body)
    cls, todo = _classify(status, parsed.code)
    problem = parsed.problem or f"The Cleanlist API answered HTTP {status}."
    message = f"{problem} {parsed.fix or todo}".strip()
    if secret:
        message = message.replace(secret, "[key]")
    return cls(message, status=status, code=parsed.code or _default_code(status),
               request_id=parsed.request_id, retry_after=_retry_after(parsed, headers),
               details={**parsed.extra, "problem": problem.replace(secret, "[key]")
                        if secret else problem})


def _default_code(status: int) -> str:
    return {401: "unauthorized", 404: "not_found", 429: "rate_limited"}.get(status, "")
