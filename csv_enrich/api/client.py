"""Async client for the Cleanlist API: pacing, retries, and the error contract mapped to ApiError.

The only module that knows the API's URLs and JSON field names. Every method sends one logical
call; the client retries what is safe to repeat (`retry` has the rules):

* free and idempotent calls (GETs, create-list, csv-import with its idempotency key, estimates):
  transport errors, 5xx and 429, with exponential backoff and jitter, honouring Retry-After /
  ``retry_after_ms``;
* paid calls (person, company, bulk): only when the request certainly did no work (429, or the
  connection could not be opened). A 5xx or a lost answer is raised to the caller, who must find
  out from the journal and the lead list whether the work happened before resending.

Other 4xx are never retried.
"""

from __future__ import annotations

import base64
import math
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import httpx

from csv_enrich import errors
from csv_enrich.api import retry
from csv_enrich.api.legacy_calls import LegacyCalls
from csv_enrich.api.legacy_wire import LegacyStatus, LegacySubmitted, legacy_base
from csv_enrich.api.pacer import Pacer
from csv_enrich.api.wire import (
    CohortEntity,
    CohortRun,
    CompanyAnswer,
    CsvImport,
    Lead,
    LeadColumns,
    LeadsPage,
    Quote,
    Submitted,
    WorkflowStatus,
    error_from_response,
    parse_cohort_run,
    parse_company,
    parse_csv_import,
    parse_leads_columns,
    parse_leads_page,
    parse_quote,
    parse_status,
    parse_submitted,
)
from csv_enrich.models import EnrichmentType, Identity, scope_of

__all__ = [
    "ClientStats",
    "CleanlistClient",
    "CohortEntity",
    "CohortRun",
    "CompanyAnswer",
    "CsvImport",
    "Lead",
    "LeadColumns",
    "LeadsPage",
    "LegacyStatus",
    "LegacySubmitted",
    "Quote",
    "Submitted",
    "WorkflowStatus",
    "make_http_client",
]

BULK_SCOPE: Mapping[EnrichmentType, str] = {
    "partial": "partial",
    "phone_only": "phone-only",
    "full": "full",
}
PERSON_FIELDS = ("email", "linkedin_url", "person_id", "first_name", "last_name",
                 "company_name", "domain", "phone")
EXPORT_COLUMNS = ("lead_id", "first_name", "last_name", "full_name", "email", "email_status",
                  "phone", "linkedin_url", "title", "company", "domain")
COMPANY_FIELDS = ("domain", "company_name", "company_ticker", "company_id")
COHORT_TOOL: Mapping[str, str] = {"person": "add_person_enrichments",
                                  "company": "add_company_enrichments"}
# Connection failures where the request never reached the server: safe to repeat even if paid.
_NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)


@dataclass
class ClientStats:
    """Running counters of what the client sent."""

    requests: int = 0
    retries: int = 0
    rate_limited: int = 0
    pacer: Pacer | None = field(default=None, repr=False)
    trouble: str = ""  # why the last attempt failed, while a retry is pending
    attempt: int = 0  # the attempt the pending retry will be
    retry_at: float = 0.0  # when it goes (time.monotonic())

    @property
    def waiting(self) -> bool:
        """True while a request waits on the rate limit."""
        return self.pacer is not None and self.pacer.waiting

    def retrying(self, exc: errors.ApiError, attempt: int, delay: float) -> None:
        """A call failed and will be tried again in `delay` s as attempt `attempt`."""
        self.trouble = _trouble(exc)
        self.attempt, self.retry_at = attempt, time.monotonic() + delay

    def answered(self) -> None:
        """A call got through: no retry pending any more."""
        self.trouble = ""

    def trouble_text(self) -> str:
        """`API unreachable (ConnectError): attempt 3, next try in 12 s`, or "" when all is
        well (for the progress line)."""
        if not self.trouble:
            return ""
        left = max(0, math.ceil(self.retry_at - time.monotonic()))
        return f"{self.trouble}: attempt {self.attempt}, next try in {left} s"


def make_http_client(*, max_connections: int = 8, timeout: float = 30.0) -> httpx.AsyncClient:
    """An httpx client with a small pool (CPU per request grows with pool size) and timeouts.

    `max_connections` is clamped to 4..16: the API allows 30 requests/min, and httpx's pool does
    work quadratic in its size.
    """
    pool = min(16, max(4, max_connections))
    limits = httpx.Limits(max_connections=pool, max_keepalive_connections=pool,
                          keepalive_expiry=20.0)
    return httpx.AsyncClient(limits=limits, timeout=httpx.Timeout(timeout, connect=10.0))


def default_burst(rate_limit_per_min: int) -> int:
    """Requests allowed back to back at the start: a tenth of a minute's allowance (5 at 30/min,
    at most 10). A small run then finishes in seconds instead of waiting 2 s before each call, and
    the sustained pace is unchanged, and the pacer's window rule keeps the first minute (like
    every other) within the limit."""
    return max(1, min(10, rate_limit_per_min // 6))


class CleanlistClient(LegacyCalls):
    """The Cleanlist API as typed calls. Holds no state beyond the pacer and the counters."""

    def __init__(
        self,
        http: httpx.AsyncClient,
        *,
        api_key: str,
        base_url: str,
        rate_limit_per_min: int = 30,
        max_retries: int = 6,
        backoff_base: float = 0.5,
        backoff_max: float = 30.0,
        pacer: Pacer | None = None,
        home_url: str = "",  # the API's lasting name when base_url is not (Connection.home_url)
    ) -> None:
        self._http = http
        self._key = api_key
        self._base = base_url.rstrip("/")
        self._home = home_url or self._base
        self._legacy = legacy_base(self._base)
        self.rate_limit_per_min = rate_limit_per_min  # as configured (the pacer may adapt)
        self.max_retries = max_retries
        self.backoff_base = backoff_base
        self.backoff_max = backoff_max
        self.pacer = pacer or Pacer(rate_limit_per_min, burst=default_burst(rate_limit_per_min))
        self.stats = ClientStats(pacer=self.pacer)
        self._held = 0  # slots taken ahead with take_slot()
        self._paid_calls = 0
        self._balance_seen: tuple[int, int] | None = None  # (credits, paid calls at the time)

    @property
    def scope(self) -> str:
        """The endpoint and account this client talks to, hashed (`models.scope_of`)."""
        return scope_of(self._home, self._key)

    # -- account ---------------------------------------------------------------------------

    async def whoami(self) -> dict[str, Any]:
        """Who the key belongs to, its scopes and features."""
        return await self._call("GET", "/whoami")

    async def balance(self) -> int:
        """The organisation's credit balance (whole credits)."""
        body = await self._call("GET", "/credits/balance")
        self._balance_seen = (int(body["credits"]), self._paid_calls)
        return self._balance_seen[0]

    def unspent_balance(self) -> int | None:
        """The last balance read, if this client has sent no paid call since (else None), so a
        run started right after its preflight need not ask again."""
        seen = self._balance_seen
        return seen[0] if seen is not None and seen[1] == self._paid_calls else None

    # -- lists -----------------------------------------------------------------------------

    async def create_list(self, name: str) -> str:
        """Create (or, same name, reuse) a lead list; returns its id."""
        body = await self._call("POST", "/lead-lists", json={"name": name[:200]})
        return str(body["list_id"])

    async def list_counts(self, list_id: str) -> tuple[int, int]:
        """(lead_count, enriched_count) of a list."""
        body = await self._call("GET", f"/lead-lists/{list_id}")
        return int(body.get("lead_count") or 0), int(body.get("enriched_count") or 0)

    async def list_leads(self, list_id: str, *, cursor: str | None = None,
                         limit: int = 500) -> LeadsPage:
        """One page of a list's leads."""
        return parse_leads_page(await self._leads_body(list_id, cursor, limit))

    async def export_leads(self, list_id: str, *, cursor: str | None = None,
                           limit: int = 500) -> LeadsPage:
        """One page of GET /export/json with email_status and the company domain (which the
        leads page lacks). Needs export:read; a refusal is for the caller to fall back on."""
        return parse_leads_page(await self._export_body(list_id, cursor, limit))

    async def lead_columns(self, list_id: str, *, export: bool, cursor: str | None = None,
                           limit: int = 500) -> LeadColumns:
        """`export_leads` (`export`) or `list_leads` as columns, without a `Lead` per lead."""
        read = self._export_body if export else self._leads_body
        return parse_leads_columns(await read(list_id, cursor, limit))

    async def _leads_body(self, list_id: str, cursor: str | None, limit: int) -> Any:
        params: dict[str, Any] = {"limit": limit}
        if cursor:
            params["cursor"] = cursor
        return await self._call("GET", f"/lead-lists/{list_id}/leads", params=params)

    async def _export_body(self, list_id: str, cursor: str | None, limit: int) -> Any:
        params: list[tuple[str, str | int]] = [("list_id", list_id), ("limit", limit)]
        params += [("columns", c) for c in EXPORT_COLUMNS]
        if cursor:
            params.append(("cursor", cursor))
        return await self._call("GET", "/export/json", params=params)

    async def csv_import(self, list_id: str, csv_text: str, column_mapping: Mapping[str, str],
                         *, idempotency_key: str) -> CsvImport:
        """Import CSV rows into a list without dispatching enrichment (free, replay-safe)."""
        payload = {
            "csv_content_base64": base64.b64encode(csv_text.encode()).decode("ascii"),
            "column_mapping": dict(column_mapping),
            "dispatch_enrichment": False,
            "idempotency_key": idempotency_key,
        }
        body = await self._call("POST", f"/lead-lists/{list_id}/csv-import", json=payload)
        return parse_csv_import(body)

    # -- money -----------------------------------------------------------------------------

    async def estimate_enrich_list(self, list_id: str, enrichment_type: EnrichmentType) -> Quote:
        """A signed quote for enriching every lead of a list (free)."""
        payload = {"tool": "enrich_list", "list_id": list_id,
                   "scope": BULK_SCOPE[enrichment_type]}
        return parse_quote(await self._call("POST", "/credits/estimate", json=payload))

    async def estimate_cohort(self, task_id: str, kind: str, data_points: Sequence[str],
                              entity_ids: Sequence[str] | None = None) -> Quote:
        """A signed quote for enriching a cohort (`kind` person or company) by task (free)."""
        payload: dict[str, Any] = {"tool": COHORT_TOOL[kind], "task_id": task_id,
                                   "data_points": list(data_points)}
        if entity_ids is not None:
            payload["entity_ids"] = list(entity_ids)
        return parse_quote(await self._call("POST", "/credits/estimate", json=payload))

    async def estimate_company(self) -> Quote:
        """A signed, single-use quote for one company lookup (free; tool `enrich_company`,
        which CONTRACT.md does not list: a server that does not know it answers 400)."""
        payload = {"tool": "enrich_company", "row_count": 1}
        return parse_quote(await self._call("POST", "/credits/estimate", json=payload))

    # -- enrichment (paid) -----------------------------------------------------------------

    async def enrich_by_task(self, task_id: str, data_points: Sequence[str], *,
                             quote_id: str, entity_ids: Sequence[str] | None = None,
                             lead_list_id: str | None = None) -> CohortRun:
        """Enrich a cohort: a person workflow to poll, or company results inline (paid)."""
        payload: dict[str, Any] = {"task_id": task_id, "data_points": list(data_points),
                                   "quote_id": quote_id}
        if entity_ids is not None:
            payload["entity_ids"] = list(entity_ids)
        if lead_list_id is not None:
            payload["lead_list_id"] = lead_list_id
        body = await self._call("POST", "/enrichment/by-task", json=payload, safety="paid")
        return parse_cohort_run(body)

    async def enrich_person(self, list_id: str, ident: Identity,
                            enrichment_type: EnrichmentType) -> Submitted:
        """Start one person's enrichment; the lead lands in `list_id`."""
        values = ident.fields()
        payload: dict[str, Any] = {k: values[k] for k in PERSON_FIELDS if k in values}
        payload |= {"lead_list_id": list_id, "enrichment_type": enrichment_type}
        body = await self._call("POST", "/enrichment/person", json=payload, safety="paid")
        return parse_submitted(body)

    async def enrich_company(self, ident: Identity, *,
                             quote_id: str | None = None) -> CompanyAnswer | None:
        """Look one company up (sync, 1 credit); None when it is not found (refunded). With a
        `quote_id` the lookup redeems it (single-use: sent again, it is refused if it ran)."""
        values = ident.fields()
        payload = {k: values[k] for k in COMPANY_FIELDS if k in values}
        if quote_id is not None:
            payload["quote_id"] = quote_id
        try:
            body = await self._call("POST", "/enrichment/company", json=payload, safety="paid")
        except errors.NotFoundError:
            return None
        return parse_company(body)

    async def enrich_bulk(self, list_id: str, enrichment_type: EnrichmentType,
                          quote_id: str) -> Submitted:
        """Enrich every lead of a list under a quote (single-use, so never charged twice)."""
        payload = {"list_id": list_id, "scope": BULK_SCOPE[enrichment_type], "quote_id": quote_id}
        body = await self._call("POST", "/enrichment/bulk", json=payload, safety="paid")
        return parse_submitted(body)

    async def status(self, workflow_id: str) -> WorkflowStatus:
        """The state of an async workflow (free)."""
        return parse_status(await self._call("GET", f"/enrichment/status/{workflow_id}"))

    # -- transport -------------------------------------------------------------------------

    async def _call(self, method: str, path: str, *, safety: retry.Safety = "safe",
                    **kwargs: Any) -> dict[str, Any]:
        """Send with pacing and retries; the decoded JSON body, or a typed ApiError."""
        self._paid_calls += safety == "paid"
        attempts = retry.attempts(safety, max_retries=self.max_retries, base=self.backoff_base,
                                  cap=self.backoff_max, on_retry=self.stats.retrying)
        try:
            async for attempt in attempts:
                with attempt:
                    if attempt.num > 1:
                        self.stats.retries += 1
                    body = await self._once(method, path, **kwargs)
        finally:
            self.stats.answered()
        return body

    async def take_slot(self) -> None:
        """Wait for a rate-limit slot now and hold it for the next request this client sends,
        so a caller can choose what to send at the moment it may send (see release_slot)."""
        await self.pacer.acquire()
        self._held += 1

    def release_slot(self) -> None:
        """Give back a slot taken with take_slot and not used."""
        if self._held > 0:
            self._held -= 1
            self.pacer.refund()

    async def _once(self, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
        if self._held > 0:
            self._held -= 1
        else:
            await self.pacer.acquire()
        self.stats.requests += 1
        headers = {"Authorization": f"Bearer {self._key}", "Accept": "application/json"}
        try:
            url = path if "://" in path else self._base + path
            self.pacer.sent()
            resp = await self._http.request(method, url, headers=headers, **kwargs)
        except httpx.TransportError as exc:
            raise _transport_error(exc) from None
        if resp.is_success:
            self.pacer.recover()
            return _json_object(resp)
        error = error_from_response(resp.status_code, _json_or_none(resp), resp.headers,
                                    secret=self._key)
        if isinstance(error, errors.RateLimitedError):
            self.stats.rate_limited += 1
            self.pacer.slow_down()
            self.pacer.pause_for(error.retry_after or 2 * self.pacer.interval)
        raise error


def _trouble(exc: errors.ApiError) -> str:
    """What went wrong, in a few words for the progress line."""
    if isinstance(exc, errors.TransportError):
        return "API unreachable" if exc.code == "not_sent" else "no answer from the API"
    if isinstance(exc, errors.RateLimitedError):
        return "API rate limit (429)"
    return f"API error {exc.status}" if exc.status else "API error"


def _transport_error(exc: httpx.TransportError) -> errors.TransportError:
    code = "not_sent" if isinstance(exc, _NOT_SENT) else "no_answer"
    kind = type(exc).__name__
    return errors.TransportError(
        f"No answer from the Cleanlist API ({kind}). Check the network and --base-url, then "
        "run the same command again: it resumes.",
        code=code,
    )


def _json_or_none(resp: httpx.Response) -> Any:
    try:
        return resp.json()
    except ValueError:
        return None


def _json_object(resp: httpx.Response) -> dict[str, Any]:
    body = _json_or_none(resp)
    if not isinstance(body, dict):
        raise errors.ServerError(
            f"The Cleanlist API answered {resp.status_code} with a body that is not a JSON "
            "object. Run the same command again later: it resumes.",
            status=resp.status_code, code="bad_body",
        )
    return body
