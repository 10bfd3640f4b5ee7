"""Company lookups under single-use quotes, against a real sandbox with faults at the edge: a lost
answer is resent with the same quote and charged once; a run stopped between the intent and the
answer is finished by its resume the same way (issue 10)."""

from __future__ import annotations

import asyncio
import json
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from jsonschema import Draft202012Validator

from csv_enrich.engine.company import LOST_PAID, MAYBE_PAID, MAYBE_WARNING, PAID_WARNING
from csv_enrich.engine.run import RunInterrupted, run_plan
from csv_enrich.models import Identity, Plan, RunResult
from csv_enrich.sandbox import SandboxConfig, SandboxServer
from csv_enrich.sandbox.data import company_record
from tests.sandbox_helpers import document, needs_openapi, template_of
from tests.test_engine_helpers import FAST, LoseAnswers, company, make_plan, rig

LOOKUP, ESTIMATE = "/enrichment/company", "/credits/estimate"


@pytest.fixture
def sandbox() -> Iterator[SandboxServer]:
    """A fast, fault-free sandbox (faults are queued per test)."""
    config = SandboxConfig(credits=1_000_000, time_scale=0.001, rate_limit_per_min=100_000,
                           org_rate_limit_per_min=100_000)
    with SandboxServer(config) as server:
        yield server


def found(count: int, *, known: bool = True) -> list[Identity]:
    """`count` companies the sandbox knows (or, `known` False, does not know)."""
    pool = (company(n) for n in range(10 * count + 10))
    return [c for c in pool if (company_record(c.key) is not None) == known][:count]


def requests(server: SandboxServer) -> Counter[str]:
    """How many requests the sandbox saw on the lookup and the estimate paths."""
    seen = Counter(r["path"] for r in server.ledger()["requests"])
    return Counter({name: sum(n for p, n in seen.items() if p.endswith(name))
                    for name in (LOOKUP, ESTIMATE)})


def charged(server: SandboxServer) -> Counter[str]:
    """Credits the sandbox charged, by company."""
    out: Counter[str] = Counter()
    for c in server.ledger()["charges"]:
        out[c["identity"]] += c["credits"]
    return out


def assert_books(server: SandboxServer, result: RunResult) -> None:
    """The outcomes add up to the ledger, and nobody was charged twice."""
    by_company = charged(server)
    assert sum(o.credits for o in result.outcomes.values()) == sum(by_company.values())
    assert set(by_company.values()) <= {1}
    for key, outcome in result.outcomes.items():
        assert outcome.credits == by_company.get(key, 0), (key, outcome)


async def run(server: SandboxServer, tmp_path: Path, plan: Plan,
              http: httpx.AsyncClient | None = None) -> RunResult:
    async with rig(server.base_url, server.api_key, tmp_path, http=http) as r:
        return await run_plan(plan, client=r.client, journal=r.journal, cache=r.cache,
                              tuning=FAST, workers=2)


@pytest.mark.anyio
async def test_a_lost_answer_is_charged_once_and_the_row_says_so(
        sandbox: SandboxServer, tmp_path: Path) -> None:
    """The server did the lookup and the answer was lost: the resend with the same quote is
    refused as used, so the row shows the 1 credit and no data, and nothing is charged twice."""
    idents = found(5)
    http = httpx.AsyncClient(transport=LoseAnswers(LOOKUP))
    result = await run(sandbox, tmp_path, make_plan(idents, kind="company", mode="auto"), http)
    lost = [o for o in result.outcomes.values() if o.status == "failed"]
    assert len(lost) == 1
    assert lost[0].credits == 1
    assert lost[0].note == LOST_PAID
    assert not lost[0].data
    assert_books(sandbox, result)
    assert result.warnings == (PAID_WARNING.format(n=1),)
    assert requests(sandbox) == {LOOKUP: 6, ESTIMATE: 5}  # one quote each, one resend


@pytest.mark.anyio
async def test_a_lost_answer_of_a_company_not_found_is_claimed_with_a_warning(
        sandbox: SandboxServer, tmp_path: Path) -> None:
    """The known limit: the used quote proves the lookup ran, not that it found the company. A
    company not found is refunded, so the row's credit is one the API did not keep; the
    warning says so (the API gives no way to tell)."""
    idents = found(1, known=False) + found(2)
    http = httpx.AsyncClient(transport=LoseAnswers(LOOKUP))
    async with rig(sandbox.base_url, sandbox.api_key, tmp_path, http=http) as r:
        result = await run_plan(make_plan(idents, kind="company", mode="auto"), client=r.client,
                                journal=r.journal, cache=r.cache, tuning=FAST, workers=1)
    assert result.outcomes[idents[0].key].credits == 1
    assert sum(o.credits for o in result.outcomes.values()) == sum(charged(sandbox).values()) + 1
    assert result.warnings == (PAID_WARNING.format(n=1),)
    assert "refunded" in result.warnings[0]


@pytest.mark.anyio
async def test_a_lookup_lost_before_the_server_is_resent_with_its_quote(
        sandbox: SandboxServer, tmp_path: Path) -> None:
    """The connection dropped before the server did anything: the resend with the same quote is
    the one charge, and the row has its data."""
    sandbox.state.faults.forced_on.append((LOOKUP, "drop"))
    idents = [company(n) for n in range(5)]
    result = await run(sandbox, tmp_path, make_plan(idents, kind="company", mode="auto"))
    assert {o.status for o in result.outcomes.values()} <= {"enriched", "not_found"}
    assert all(o.data for o in result.outcomes.values() if o.status == "enriched")
    assert_books(sandbox, result)
    assert result.warnings == ()
    assert requests(sandbox) == {LOOKUP: 6, ESTIMATE: 5}


class StopAt(httpx.AsyncBaseTransport):
    """Ctrl-C at the edge: the first request to `path` cancels the run, before the server saw
    it or (`served`) after the server did the work and before its answer arrived."""

    def __init__(self, path: str, *, served: bool) -> None:
        self.inner = httpx.AsyncHTTPTransport()
        self.path, self.served, self.armed = path, served, True
        self.victim: asyncio.Task[Any] | None = None

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if self.armed and request.url.path.endswith(self.path):
            self.armed = False
            if self.served:
                response = await self.inner.handle_async_request(request)
                await response.aread()
                await response.aclose()
            assert self.victim is not None
            self.victim.cancel()
            await asyncio.sleep(3600)
        return await self.inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self.inner.aclose()


async def stopped(server: SandboxServer, tmp_path: Path, plan: Plan, *, served: bool) -> None:
    """Run `plan` and stop it at its first lookup (see StopAt)."""
    edge = StopAt(LOOKUP, served=served)
    async with rig(server.base_url, server.api_key, tmp_path,
                   http=httpx.AsyncClient(transport=edge)) as r:
        task = asyncio.ensure_future(run_plan(plan, client=r.client, journal=r.journal,
                                              cache=r.cache, tuning=FAST, workers=1))
        edge.victim = task
        with pytest.raises(RunInterrupted):
            await task


@pytest.mark.anyio
@pytest.mark.parametrize("served", [False, True])
async def test_a_run_stopped_between_intent_and_answer_is_finished_by_its_resume(
        sandbox: SandboxServer, tmp_path: Path, served: bool) -> None:
    """Stopped while a lookup was on its way: the resume resends the journaled quote first.
    Not served: that resend is the one charge, with data. Served: it is refused as used, and
    the row shows the credit the stopped run paid."""
    plan = make_plan(found(3), kind="company", mode="auto")
    await stopped(sandbox, tmp_path, plan, served=served)
    assert sum(charged(sandbox).values()) == int(served)
    result = await run(sandbox, tmp_path, plan)
    first = result.outcomes[plan.identities[0].key]
    if served:
        assert (first.status, first.credits, first.note) == ("failed", 1, LOST_PAID)
        assert result.warnings == (PAID_WARNING.format(n=1),)
    else:
        assert (first.status, first.credits) == ("enriched", 1)
        assert first.data
        assert result.warnings == ()
    assert_books(sandbox, result)
    assert requests(sandbox) == {LOOKUP: 3 + int(served), ESTIMATE: 3}


@pytest.mark.anyio
async def test_an_expired_quote_on_the_resume_is_shown_and_never_resent(
        sandbox: SandboxServer, tmp_path: Path) -> None:
    """The resume comes after the quote expired and the API answers 'expired': nobody can tell
    whether the stopped lookup ran, so the row says it may have cost a credit (not counted),
    and a later resume sends nothing."""
    plan = make_plan(found(1), kind="company", mode="auto")
    key = plan.identities[0].key
    await stopped(sandbox, tmp_path, plan, served=False)
    sandbox.state.quotes.ttl_s = -1  # every quote is now past its 5 minutes
    result = await run(sandbox, tmp_path, plan)
    outcome = result.outcomes[key]
    assert (outcome.status, outcome.credits, outcome.note) == ("failed", 0, MAYBE_PAID)
    assert result.warnings == (MAYBE_WARNING.format(n=1),)
    sandbox.state.quotes.ttl_s = 300
    again = await run(sandbox, tmp_path, plan)
    assert again.outcomes[key] == outcome
    assert requests(sandbox)[LOOKUP] == 1
    assert not charged(sandbox)


@pytest.mark.anyio
async def test_each_lookup_counts_two_requests_on_the_pacer(
        sandbox: SandboxServer, tmp_path: Path) -> None:
    """The quote is a request like any other: the client counts (and paces) 2 per company."""
    idents = [company(n) for n in range(4)]
    async with rig(sandbox.base_url, sandbox.api_key, tmp_path) as r:
        await run_plan(make_plan(idents, kind="company", mode="auto"), client=r.client,
                       journal=r.journal, cache=r.cache, tuning=FAST)
        assert r.client.stats.requests == 2 * 4 + 2  # and the balance before and after
    assert requests(sandbox) == {LOOKUP: 4, ESTIMATE: 4}


class Checked(httpx.AsyncBaseTransport):
    """Checks every request body sent through `inner` against the official OpenAPI document's
    request schema for its operation (the sandbox would take more than the real API might)."""

    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self.inner = inner
        self.problems: list[str] = []
        self.seen: Counter[str] = Counter()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        method, path = request.method, request.url.path
        tmpl = template_of(method, path)
        declared = document()["paths"][tmpl][method.lower()].get("requestBody")
        if declared is not None:
            body = json.loads(request.content)
            schema = {**document(), **declared["content"]["application/json"]["schema"]}
            self.problems += [f"{method} {path}: {e.message}"
                              for e in Draft202012Validator(schema).iter_errors(body)]
            self.seen[f"{tmpl} {sorted(body)}"] += 1
        return await self.inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self.inner.aclose()


@needs_openapi
@pytest.mark.anyio
@pytest.mark.parametrize("quotes", ["redeem", "unknown_tool", "mismatch"])
async def test_every_request_validates_against_the_document(
        sandbox: SandboxServer, tmp_path: Path, quotes: str) -> None:
    """The quote, the quoted lookup and its resend after a lost answer, and the fallbacks
    without a quote: every request body is one the official document accepts."""
    sandbox.state.config.company_quotes = quotes
    edge = Checked(LoseAnswers(LOOKUP))
    result = await run(sandbox, tmp_path, make_plan(found(4), kind="company", mode="auto"),
                       httpx.AsyncClient(transport=edge))
    assert edge.problems == []
    quoted = edge.seen["/api/v2/enrichment/company ['domain', 'quote_id']"]
    assert edge.seen["/api/v2/credits/estimate ['row_count', 'tool']"] >= 1
    assert quoted >= {"redeem": 5, "mismatch": 1, "unknown_tool": 0}[quotes]
    if quotes == "redeem":  # without quotes a lost answer is resent (and may be paid twice)
        assert_books(sandbox, result)


@pytest.mark.anyio
async def test_a_quote_expired_before_its_first_send_is_replaced(
        sandbox: SandboxServer, tmp_path: Path) -> None:
    """A quote refused as expired on the first send never ran: a fresh quote goes (a few times);
    when they all expire the row is left for a later run, nothing charged, nothing journaled."""
    sandbox.state.quotes.ttl_s = -1  # every quote is past its 5 minutes when it arrives
    plan = make_plan(found(1), kind="company", mode="auto")
    result = await run(sandbox, tmp_path, plan)
    outcome = result.outcomes[plan.identities[0].key]
    assert (outcome.status, outcome.credits) == ("failed", 0)
    assert "quotes kept expiring" in outcome.note
    assert requests(sandbox) == {LOOKUP: 3, ESTIMATE: 3}
    sandbox.state.quotes.ttl_s = 300
    again = await run(sandbox, tmp_path, plan)  # the resume looks it up: it was never paid
    assert again.outcomes[plan.identities[0].key].status == "enriched"
    assert_books(sandbox, again)
