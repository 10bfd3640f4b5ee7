"""The Cleanlist client against httpx.MockTransport: wire format, retries, pacing, error mapping."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st

from csv_enrich import errors
from csv_enrich.api.client import CleanlistClient, default_burst
from csv_enrich.api.pacer import Pacer
from csv_enrich.api.wire import error_from_response, parse_leads_page, parse_status
from csv_enrich.models import Identity

KEY = "clapi_test_secret_key_0123456789"
BASE = "https://api.test/api/v2"


@pytest.fixture
def anyio_backend() -> str:
    """Run async tests on asyncio only."""
    return "asyncio"


Handler = Callable[[httpx.Request], httpx.Response]


def make_client(handler: Handler, **kwargs: Any) -> CleanlistClient:
    """A client over a MockTransport with no pacing (retries are instant: see conftest)."""
    http = httpx.AsyncClient(transport=httpx.MockTransport(handler))
    return CleanlistClient(http, api_key=KEY, base_url=BASE, rate_limit_per_min=600_000,
                           **kwargs)


def envelope(code: str, problem: str = "It failed.", **extra: Any) -> dict[str, Any]:
    """An error body in the v2 envelope shape."""
    return {"error": {"code": code, "problem": problem, "retryable": False,
                      "docs_url": "https://docs/x", "request_id": "req_1", **extra}}


class Script:
    """A handler that answers from a list of responses and records the requests."""

    def __init__(self, *answers: httpx.Response | Exception) -> None:
        self.answers = list(answers)
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        answer = self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]
        if isinstance(answer, Exception):
            raise answer
        return answer


JANE = Identity(kind="person", key="li:jane-doe", linkedin_url="https://linkedin.com/in/jane-doe")


@pytest.mark.anyio
async def test_balance_sends_bearer_key_to_v2_path() -> None:
    """balance() GETs /credits/balance with the Bearer key and returns the integer credits."""
    script = Script(httpx.Response(200, json={"organization_id": "org", "credits": 4820}))
    client = make_client(script)
    assert await client.balance() == 4820
    req = script.requests[0]
    assert req.url == f"{BASE}/credits/balance"
    assert req.headers["authorization"] == f"Bearer {KEY}"
    assert client.stats.requests == 1


@pytest.mark.anyio
async def test_enrich_person_payload_and_answer() -> None:
    """enrich_person sends the list id, the type and only the identity's set fields."""
    script = Script(httpx.Response(200, json={
        "workflow_id": "enrich-1", "status": "pending", "credits_reserved": 11,
        "lead_list_id": "ll_1", "poll_url": "https://x/status/enrich-1"}))
    client = make_client(script)
    sub = await client.enrich_person("ll_1", JANE, "full")
    assert (sub.workflow_id, sub.credits_reserved) == ("enrich-1", 11)
    body = json.loads(script.requests[0].content)
    assert body == {"linkedin_url": JANE.linkedin_url, "lead_list_id": "ll_1",
                    "enrichment_type": "full"}


@pytest.mark.anyio
async def test_status_result_comes_out_as_outcome_data_keys() -> None:
    """A terminal single-person status yields data keyed like Outcome.data."""
    script = Script(httpx.Response(200, json={
        "workflow_id": "enrich-1", "status": "completed", "credits_charged": 11,
        "credits_refunded": 0, "refund_status": "not_applicable",
        "result": {"lead_id": "lead_1", "status": "completed", "first_name": "Jane",
                   "last_name": "Doe", "email": "jane@acme.io", "email_status": "valid",
                   "phone": "+14155550142", "linkedin_url": "https://linkedin.com/in/jane",
                   "title": "VP", "company": "Acme", "provider": "wiza"}}))
    status = await make_client(script).status("enrich-1")
    assert status.terminal
    assert status.credits_charged == 11
    assert status.result == {"email": "jane@acme.io", "email_status": "valid",
                             "phone": "+14155550142", "linkedin_url": "https://linkedin.com/in/jane",
                             "title": "VP", "company": "Acme", "full_name": "Jane Doe"}


def test_status_with_empty_lead_id_has_no_result() -> None:
    """A completed run whose provider cascade found nothing (lead_id "") has result None."""
    status = parse_status({"workflow_id": "w", "status": "completed",
                           "result": {"lead_id": "", "status": "completed"}})
    assert status.terminal
    assert status.result is None


def test_unknown_status_string_is_not_terminal() -> None:
    """Status strings outside completed/failed/cancelled are treated as still running."""
    assert not parse_status({"workflow_id": "w", "status": "queued_for_review"}).terminal


@pytest.mark.anyio
async def test_company_answer_and_not_found() -> None:
    """enrich_company maps the record to Outcome.data keys; a 404 becomes None."""
    record = {"name": "Stripe", "domain": "stripe.com", "employee_count": 8000,
              "tech_stack": ["React", "Ruby"], "industry": None}
    script = Script(httpx.Response(200, json={"company": record, "credits_charged": 1}),
                    httpx.Response(404, json=envelope("not_found", "No company matched.")))
    client = make_client(script)
    ident = Identity(kind="company", key="domain:stripe.com", domain="stripe.com")
    answer = await client.enrich_company(ident)
    assert answer is not None
    assert answer.data == {"company_name": "Stripe", "domain": "stripe.com",
                           "employee_count": "8000", "tech_stack": "React, Ruby"}
    assert answer.credits_charged == 1
    assert await client.enrich_company(ident) is None


@pytest.mark.anyio
async def test_free_call_retries_5xx_and_transport_errors() -> None:
    """A free GET is retried through a 503 and a dropped connection, then succeeds."""
    script = Script(httpx.Response(503, json=envelope("unavailable")),
                    httpx.ReadError("connection reset"),
                    httpx.Response(200, json={"organization_id": "o", "credits": 5}))
    client = make_client(script)
    assert await client.balance() == 5
    assert client.stats.requests == 3
    assert client.stats.retries == 2


@pytest.mark.anyio
async def test_paid_call_is_not_retried_after_a_5xx() -> None:
    """A 5xx on a paid POST is raised at once: the work may have happened."""
    script = Script(httpx.Response(500, json=envelope("internal_error")))
    client = make_client(script)
    with pytest.raises(errors.ServerError):
        await client.enrich_person("ll_1", JANE, "partial")
    assert len(script.requests) == 1


@pytest.mark.anyio
async def test_paid_call_is_not_retried_after_a_lost_answer() -> None:
    """A read error on a paid POST is raised as a TransportError, not resent."""
    script = Script(httpx.ReadError("reset after send"))
    client = make_client(script)
    with pytest.raises(errors.TransportError) as info:
        await client.enrich_person("ll_1", JANE, "partial")
    assert info.value.code == "no_answer"
    assert len(script.requests) == 1


@pytest.mark.anyio
async def test_paid_call_is_retried_when_never_sent() -> None:
    """A connect error means the request never left, so even a paid call is retried."""
    script = Script(httpx.ConnectError("refused"), httpx.Response(200, json={
        "workflow_id": "enrich-9", "status": "pending", "credits_reserved": 1,
        "lead_list_id": "ll_1", "poll_url": "u"}))
    sub = await make_client(script).enrich_person("ll_1", JANE, "partial")
    assert sub.workflow_id == "enrich-9"


@pytest.mark.anyio
async def test_429_honours_retry_after_ms_and_is_counted() -> None:
    """A 429 is retried after retry_after_ms, counted, and pauses the pacer."""
    limited = httpx.Response(429, json=envelope("rate_limited", retryable=True,
                                                retry_after_ms=30),
                             headers={"Retry-After": "1"})
    script = Script(limited, httpx.Response(200, json={"organization_id": "o", "credits": 1}))
    client = make_client(script)
    assert await client.balance() == 1
    assert client.stats.rate_limited == 1
    assert client.stats.retries == 1


@pytest.mark.anyio
async def test_other_4xx_is_never_retried() -> None:
    """A 400 validation error is raised after one request."""
    script = Script(httpx.Response(400, json=envelope("validation_error", "Bad identifier.")))
    client = make_client(script)
    with pytest.raises(errors.RequestRejectedError, match="Bad identifier"):
        await client.enrich_person("ll_1", JANE, "partial")
    assert len(script.requests) == 1


@pytest.mark.anyio
async def test_retries_give_up_after_max_retries() -> None:
    """A persistent 503 ends in ServerError after max_retries + 1 attempts."""
    script = Script(httpx.Response(503, json=envelope("unavailable")))
    client = make_client(script, max_retries=2)
    with pytest.raises(errors.ServerError, match="resumes"):
        await client.balance()
    assert len(script.requests) == 3


@pytest.mark.parametrize(("status", "body", "cls", "code"), [
    (401, {"detail": "Not authenticated"}, errors.AuthError, "unauthorized"),
    (403, envelope("insufficient_scope", details={"required": "enrich:write"}),
     errors.AuthError, "insufficient_scope"),
    (400, envelope("insufficient_credits", estimated_cost_credits=110, available_credits=40),
     errors.InsufficientCreditsError, "insufficient_credits"),
    (402, {"detail": "Insufficient credits"}, errors.InsufficientCreditsError, ""),
    (409, envelope("quote_already_used"), errors.QuoteError, "quote_already_used"),
    (400, envelope("spend_cap_exceeded"), errors.QuoteError, "spend_cap_exceeded"),
    (404, envelope("not_found"), errors.NotFoundError, "not_found"),
    (413, envelope("payload_too_large"), errors.RequestRejectedError, "payload_too_large"),
    (422, {"detail": [{"loc": ["body", "name"], "msg": "too short", "type": "x"}]},
     errors.RequestRejectedError, "validation_error"),
    (429, envelope("rate_limited"), errors.RateLimitedError, "rate_limited"),
    (503, None, errors.ServerError, ""),
])
def test_error_mapping_by_status_then_code(status: int, body: Any, cls: type[Exception],
                                           code: str) -> None:
    """Both error shapes map to the typed tree, branching on HTTP status first."""
    exc = error_from_response(status, body, {})
    assert type(exc) is cls
    assert exc.code == code
    assert exc.status == status


def test_credit_error_keeps_the_numbers() -> None:
    """insufficient_credits keeps the credit figures in details and exits 3."""
    exc = error_from_response(400, envelope("insufficient_credits", available_credits=40), {})
    assert exc.details["available_credits"] == 40
    assert exc.exit_code == errors.ExitStatus.CREDITS


def test_retry_after_header_in_seconds() -> None:
    """Retry-After (seconds) is read when the body has no retry_after_ms."""
    exc = error_from_response(429, {"detail": "slow down"}, {"retry-after": "12"})
    assert exc.retry_after == 12.0


def test_key_never_appears_in_messages() -> None:
    """A server echoing the key has it redacted from the error message."""
    exc = error_from_response(401, envelope("unauthorized", f"Key {KEY} is revoked."), {},
                              secret=KEY)
    assert KEY not in str(exc)


@given(status=st.integers(400, 599), body=st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(),
    lambda c: st.lists(c, max_size=3) | st.dictionaries(st.text(max_size=8), c, max_size=3),
    max_leaves=10))
def test_any_error_body_maps_to_an_api_error(status: int, body: Any) -> None:
    """Whatever body an error answer carries, the mapping returns an ApiError and never raises."""
    exc = error_from_response(status, body, {})
    assert isinstance(exc, errors.ApiError)
    assert exc.status == status


@given(st.dictionaries(st.sampled_from(["email", "phone", "title", "first_name", "lead_id",
                                         "status", "company", "email_status"]),
                       st.none() | st.text(max_size=5)))
def test_status_parser_tolerates_partial_results(result: dict[str, Any]) -> None:
    """parse_status accepts any subset of result fields and keeps only non-empty strings."""
    status = parse_status({"workflow_id": "w", "status": "completed", "result": result})
    assert all(isinstance(v, str) and v for v in (status.result or {}).values())


def test_pacer_spaces_slots_and_pauses() -> None:
    """The bucket spaces slots 60/rate seconds apart and honours a pause."""
    now = [100.0]
    pacer = Pacer(30, clock=lambda: now[0])
    assert pacer.reserve() == 0
    assert pacer.reserve() == pytest.approx(2.0)
    assert pacer.reserve() == pytest.approx(4.0)
    now[0] = 200.0
    pacer.pause_for(10)
    assert pacer.reserve() == pytest.approx(10.0)


def test_pacer_burst_allows_back_to_back_slots() -> None:
    """With burst 3 an idle bucket grants three slots at once, then spaces them."""
    now = [0.0]
    pacer = Pacer(60, burst=3, clock=lambda: now[0])
    assert [pacer.reserve() for _ in range(4)] == [0, 0, 0, pytest.approx(1.0)]


def test_pacer_refund_gives_the_slot_back() -> None:
    """A refunded slot is granted again to the next caller."""
    now = [0.0]
    pacer = Pacer(30, clock=lambda: now[0])
    assert pacer.reserve() == 0
    assert pacer.reserve() == pytest.approx(2.0)
    pacer.refund()
    assert pacer.reserve() == pytest.approx(2.0)


@pytest.mark.anyio
async def test_a_held_slot_is_used_by_the_next_request() -> None:
    """take_slot waits once; the request that follows does not wait again."""
    script = Script(httpx.Response(200, json={"organization_id": "o", "credits": 3}))
    client = make_client(script)
    await client.take_slot()
    assert await client.balance() == 3
    client.release_slot()  # nothing held any more: a no-op
    assert client.stats.requests == 1


def test_pacer_slows_down_when_told_but_not_without_limit() -> None:
    """Each slow_down widens the spacing by 10%, never past twice the configured spacing."""
    pacer = Pacer(30)
    pacer.slow_down()
    assert pacer.interval == pytest.approx(2.2)
    for _ in range(20):
        pacer.slow_down()
    assert pacer.interval == pytest.approx(4.0)
    for _ in range(500):
        pacer.recover()
    assert pacer.interval == pytest.approx(2.0)


@pytest.mark.parametrize(("rate", "burst"), [(1, 1), (30, 5), (60, 10), (6000, 10)])
def test_default_burst_is_a_tenth_of_a_minute_capped(rate: int, burst: int) -> None:
    """A small run goes out at once; the sustained pace stays at the plan's rate."""
    assert default_burst(rate) == burst


def test_burst_slots_are_free_then_spacing_resumes() -> None:
    """With the default burst at 30/min, five slots are immediate and the sixth waits 2 s."""
    now = [100.0]
    pacer = Pacer(30, burst=default_burst(30), clock=lambda: now[0])
    waits = [pacer.reserve() for _ in range(6)]
    assert waits[:5] == [0.0] * 5
    assert waits[5] == pytest.approx(2.0)


@pytest.mark.anyio
async def test_a_pending_retry_is_explained_then_cleared() -> None:
    """While a 5xx or a dropped connection is being retried, the stats say what went wrong, the
    attempt and when the next try goes (for the progress line); a success clears it."""
    seen: list[str] = []
    answers = [httpx.Response(503, json=envelope("unavailable")),
               httpx.ConnectError("refused"),
               httpx.Response(200, json={"organization_id": "o", "credits": 3})]

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(client.stats.trouble_text())
        answer = answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer

    client = make_client(handler)
    assert await client.balance() == 3
    assert seen[0] == ""
    assert seen[1].startswith("API error 503: attempt 2, next try in ")
    assert seen[2].startswith("API unreachable: attempt 3, next try in ")
    assert client.stats.trouble_text() == ""


@pytest.mark.anyio
async def test_a_retry_waits_what_the_server_asked() -> None:
    """A 503 carrying Retry-After on a free call is retried no sooner than the server asked
    (outside stamina's test mode), and the progress line names that wait (in test mode, where
    the retry goes at once)."""
    import time

    import stamina

    def script(wait: str) -> Script:
        return Script(httpx.Response(503, json=envelope("unavailable"),
                                     headers={"Retry-After": wait}),
                      httpx.Response(200, json={"organization_id": "o", "credits": 3}))

    seen: list[str] = []
    waiting = script("1.5")
    client = make_client(lambda request: (seen.append(client.stats.trouble_text()),
                                          waiting(request))[1])
    assert await client.balance() == 3
    assert seen == ["", "API error 503: attempt 2, next try in 2 s"]
    client = make_client(script("0.3"))
    start = time.monotonic()
    with stamina.set_testing(False):
        assert await client.balance() == 3
    assert time.monotonic() - start >= 0.3
    assert client.stats.retries == 1


@pytest.mark.anyio
@pytest.mark.parametrize(("answer", "safety", "retried"), [
    (httpx.Response(500, json=envelope("internal_error")), "paid", False),
    (httpx.Response(500, json=envelope("internal_error")), "safe", True),
    (httpx.ReadError("reset after send"), "paid", False),
    (httpx.ConnectError("refused"), "paid", True),
    (httpx.Response(429, json=envelope("rate_limited", retry_after_ms=1)), "paid", True),
    (httpx.Response(503, json=envelope("feature_disabled")), "safe", False),
    (httpx.Response(404, json=envelope("not_found")), "safe", False),
])
async def test_the_backoff_hook_keeps_the_paid_call_rule(
    answer: httpx.Response | Exception, safety: str, retried: bool
) -> None:
    """Paid calls are retried only when nothing can have happened; free ones through any
    transport error, 5xx or 429; never another 4xx or a switched-off feature."""
    script = Script(answer, httpx.Response(200, json={"organization_id": "o", "credits": 1,
                                                      "workflow_id": "enrich-1",
                                                      "status": "pending", "credits_reserved": 1,
                                                      "lead_list_id": "ll_1", "poll_url": "u"}))
    client = make_client(script)
    call = (client.enrich_person("ll_1", JANE, "partial") if safety == "paid"
            else client.balance())
    if retried:
        await call
    else:
        with pytest.raises(errors.ApiError):
            await call
    assert len(script.requests) == (2 if retried else 1)


def test_a_page_of_leads_holds_a_repeated_value_once() -> None:
    """Leads read back keep every value as sent; a status, title, employer or its domain that
    many leads repeat is one string however many leads hold it (a whole list is held in
    memory to join it back)."""
    raw = [{"lead_id": f"l{n}", "email": f"p{n}@acme.io", "email_status": "valid",
            "title": "VP Sales", "company": "Acme", "domain": "acme.io",
            "first_name": "Ann", "last_name": f"Lee{n}"} for n in range(3)]
    page = json.loads(json.dumps({"leads": raw, "total": 3, "cursor": None}))
    leads = parse_leads_page(page).leads
    assert [dict(ld.data) for ld in leads] == [
        {"email": f"p{n}@acme.io", "email_status": "valid", "title": "VP Sales",
         "company": "Acme", "full_name": f"Ann Lee{n}"} for n in range(3)]
    assert [(ld.lead_id, ld.first_name, ld.last_name, ld.domain) for ld in leads] == [
        (f"l{n}", "Ann", f"Lee{n}", "acme.io") for n in range(3)]
    for key in ("email_status", "title", "company"):
        assert leads[0].data[key] is leads[1].data[key] is leads[2].data[key]
    assert leads[0].domain is leads[2].domain
