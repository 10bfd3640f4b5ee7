"""The legacy bulk strategy (CSV import off, or --mode legacy) against a real sandbox."""

from __future__ import annotations

import asyncio
import json
import math
from collections import Counter
from pathlib import Path

import httpx
import pytest

from csv_enrich import errors
from csv_enrich.engine.legacy import RECOVERED
from csv_enrich.engine.run import run_plan
from csv_enrich.models import Connection, EnrichOptions, Identity, RunResult
from csv_enrich.output.words import summary_lines
from csv_enrich.report import DERIVED
from csv_enrich.runner import enrich_file
from csv_enrich.sandbox import SandboxConfig, SandboxServer
from tests.test_engine_helpers import (
    FAST,
    LoseAnswers,
    charges_by_identity,
    make_plan,
    person,
    rig,
)


def fast_config(**kwargs: object) -> SandboxConfig:
    """A sandbox with CSV import off, millisecond workflows and limits out of the way."""
    base: dict[str, object] = {"credits": 1_000_000, "time_scale": 0.001, "csv_import": False,
                               "rate_limit_per_min": 100_000, "org_rate_limit_per_min": 100_000}
    return SandboxConfig(**(base | kwargs))  # type: ignore[arg-type]


def named(n: int) -> Identity:
    """A person the legacy endpoint takes: LinkedIn, or names + domain (with an email too)."""
    if n % 2 == 0:
        slug = f"lp-{n}"
        return Identity("person", f"li:{slug}", linkedin_url=f"https://www.linkedin.com/in/{slug}")
    first, last, dom = f"bo{n}", f"ek{n}", f"firm{n % 9}.io"
    return Identity("person", f"name:{first}|{last}|{dom}", first_name=first.title(),
                    last_name=last.title(), domain=dom, email=f"{first}.{last}@{dom}")


class Recorder(httpx.AsyncBaseTransport):
    """A real transport that keeps the JSON body of every legacy bulk submission."""

    def __init__(self, inner: httpx.AsyncBaseTransport | None = None) -> None:
        self.inner = inner or httpx.AsyncHTTPTransport()
        self.bodies: list[dict[str, object]] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/enrich/bulk"):
            self.bodies.append(json.loads(request.content))
        return await self.inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self.inner.aclose()


def paths(ledger: dict[str, object]) -> Counter[str]:
    """Requests by path (prefix stripped)."""
    reqs = ledger["requests"]
    assert isinstance(reqs, list)
    return Counter(r["path"].split("/public")[-1].split("/v2")[-1] for r in reqs)


def credits(result: RunResult) -> int:
    return sum(o.credits for o in result.outcomes.values())


@pytest.mark.anyio
async def test_auto_mode_without_csv_import_sends_batches_of_250(tmp_path: Path) -> None:
    """600 people go in three legacy submissions of at most 250 (legacy field names, the email
    sent along), polled through the legacy status; every row ends with its own result; the
    credits equal the ledger; requests per row stay far under 0.05."""
    idents = [named(n) for n in range(600)]
    rec = Recorder()
    with SandboxServer(fast_config()) as server:
        async with rig(server.base_url, server.api_key, tmp_path,
                       http=httpx.AsyncClient(transport=rec)) as r:
            result = await run_plan(make_plan(idents, mode="auto", etype="full"), client=r.client,
                                    journal=r.journal, cache=r.cache,
                                    tuning=FAST)
        ledger = server.ledger()
    assert result.mode == "legacy"
    assert [len(b["contacts"]) for b in rec.bodies] == [250, 250, 100]  # type: ignore[arg-type]
    first = rec.bodies[0]["contacts"][:2]  # type: ignore[index]
    assert first == [{"linkedin_url": "https://www.linkedin.com/in/lp-0"},
                     {"first_name": "Bo1", "last_name": "Ek1", "company_domain": "firm1.io",
                      "email": "bo1.ek1@firm1.io"}]
    assert {o.status for o in result.outcomes.values()} == {"enriched", "not_found"}
    assert all(o.workflow_id and o.workflow_id.startswith("public_bulk_")
               for o in result.outcomes.values())
    assert credits(result) == ledger["charged_total"]  # type: ignore[index]
    assert sum(w.credits_charged for w in result.workflows) == credits(result)
    assert [(w.status, w.credits_reserved) for w in result.workflows] == [("completed", 0)] * 3
    assert max(charges_by_identity(ledger).values()) == 1
    assert paths(ledger)["/enrich/bulk"] == 3
    assert result.requests / len(idents) <= 0.05


@pytest.mark.anyio
async def test_results_join_back_by_task_id(tmp_path: Path) -> None:
    """Each row gets its own person's result (the LinkedIn slug comes back on its row)."""
    idents = [named(n) for n in range(0, 40, 2)]
    with SandboxServer(fast_config()) as server:
        async with rig(server.base_url, server.api_key, tmp_path) as r:
            result = await run_plan(make_plan(idents, mode="legacy"), client=r.client,
                                    journal=r.journal, cache=r.cache,
                                    tuning=FAST)
    for ident in idents:
        outcome = result.outcomes[ident.key]
        if outcome.status == "enriched":
            assert outcome.data["linkedin_url"].endswith(ident.key.removeprefix("li:"))


@pytest.mark.anyio
async def test_email_and_person_id_rows_go_through_person_enrichment(tmp_path: Path) -> None:
    """--mode legacy: rows the legacy endpoint cannot take go one by one, at the same time."""
    pid = Identity("person", "pid:p_9", person_id="p_9")
    idents = [person(n) for n in range(9)] + [pid]
    with SandboxServer(fast_config()) as server:
        async with rig(server.base_url, server.api_key, tmp_path) as r:
            result = await run_plan(make_plan(idents, mode="legacy"), client=r.client,
                                    journal=r.journal, cache=r.cache,
                                    tuning=FAST)
        ledger = server.ledger()
    assert result.mode == "legacy"
    by_way = Counter((o.workflow_id or "").split("-")[0].split("_")[0]
                     for o in result.outcomes.values())
    assert by_way == {"public": 6, "enrich": 4}
    assert paths(ledger)["/enrichment/person"] == 4
    assert credits(result) == ledger["charged_total"]  # type: ignore[index]


@pytest.mark.anyio
@pytest.mark.parametrize("cap", [300, 2_000, 3_000])
async def test_the_cap_holds_mid_run_without_a_reservation(tmp_path: Path, cap: int) -> None:
    """Before each batch the most it can cost (11 a person for full) must fit the cap with
    what batches in flight may still cost: never over the cap, and the people left out are
    skipped with the reason."""
    idents = [named(n) for n in range(600)]
    with SandboxServer(fast_config()) as server:
        async with rig(server.base_url, server.api_key, tmp_path) as r:
            result = await run_plan(make_plan(idents, mode="legacy", etype="full",
                                              max_credits=cap),
                                    client=r.client, journal=r.journal, cache=r.cache,
                                    tuning=FAST)
        ledger = server.ledger()
    charged = ledger["charged_total"]
    assert isinstance(charged, int)
    assert charged <= cap
    assert credits(result) == charged
    skipped = [o for o in result.outcomes.values() if o.status == "skipped"]
    assert skipped
    assert all("--max-credits" in o.note for o in skipped)
    sent = len(idents) - len(skipped)
    assert sent >= cap // 11  # at least what fits at the highest price


@pytest.mark.anyio
async def test_a_balance_too_low_for_a_batch_is_not_sent(tmp_path: Path) -> None:
    """The balance is checked like the cap: only what it covers at the highest price goes."""
    idents = [named(n) for n in range(30)]
    with SandboxServer(fast_config(credits=100)) as server:
        async with rig(server.base_url, server.api_key, tmp_path) as r:
            result = await run_plan(make_plan(idents, mode="legacy", etype="full"),
                                    client=r.client, journal=r.journal, cache=r.cache,
                                    tuning=FAST)
        ledger = server.ledger()
    assert ledger["charged_total"] <= 100  # type: ignore[operator]
    assert credits(result) == ledger["charged_total"]  # type: ignore[index]
    assert any(o.status == "skipped" for o in result.outcomes.values())


@pytest.mark.anyio
async def test_a_lost_submission_is_read_from_the_protected_list_not_resent(
        tmp_path: Path) -> None:
    """The first batch's answer is lost after the work started: it is not sent again; its rows
    are read back from the protected list, and nobody is charged twice."""
    idents = [named(n) for n in range(300)]
    http = httpx.AsyncClient(transport=LoseAnswers("/enrich/bulk"))
    with SandboxServer(fast_config()) as server:
        async with rig(server.base_url, server.api_key, tmp_path, http=http) as r:
            result = await run_plan(make_plan(idents, mode="legacy", etype="full"),
                                    client=r.client, journal=r.journal, cache=r.cache,
                                    tuning=FAST)
        ledger = server.ledger()
    assert paths(ledger)["/enrich/bulk"] == 2
    assert max(charges_by_identity(ledger).values()) == 1
    assert credits(result) == ledger["charged_total"]  # type: ignore[index]
    recovered = [o for o in result.outcomes.values() if o.note == RECOVERED]
    assert len(recovered) == 250
    assert {o.status for o in result.outcomes.values()} == {"enriched", "not_found"}


class RefuseFirst(httpx.AsyncBaseTransport):
    """The first legacy submission never reaches the server, and the client cannot tell (the
    connection breaks while the request is being written: ReadError, not ConnectError)."""

    def __init__(self) -> None:
        self.inner = httpx.AsyncHTTPTransport()
        self.left = 1

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if self.left and request.url.path.endswith("/enrich/bulk"):
            self.left -= 1
            raise httpx.ReadError("connection broke", request=request)
        return await self.inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self.inner.aclose()


@pytest.mark.anyio
async def test_a_lost_submission_that_never_started_is_sent_again(tmp_path: Path) -> None:
    """When the protected list lacks the batch's people, the submission never started: it is
    sent again once, and every row ends with a result."""
    idents = [named(n) for n in range(40)]
    http = httpx.AsyncClient(transport=RefuseFirst())
    with SandboxServer(fast_config()) as server:
        async with rig(server.base_url, server.api_key, tmp_path, http=http) as r:
            result = await run_plan(make_plan(idents, mode="legacy"), client=r.client,
                                    journal=r.journal, cache=r.cache,
                                    tuning=FAST)
        ledger = server.ledger()
    assert paths(ledger)["/enrich/bulk"] == 1
    assert {o.status for o in result.outcomes.values()} == {"enriched", "not_found"}
    assert credits(result) == ledger["charged_total"]  # type: ignore[index]


@pytest.mark.slow
@pytest.mark.anyio
async def test_faults_on_the_legacy_path_end_right_and_nobody_pays_twice(tmp_path: Path) -> None:
    """5xx, 429 bursts, dropped connections and answers lost after the work, on every request:
    every row ends enriched or not_found, nobody is charged twice, the credits match."""
    idents = [named(n) for n in range(300)] + [person(n) for n in range(1, 12, 3)]
    weights = {"5xx": 1.0, "drop": 1.0, "lost_answer": 2.0, "429_burst": 1.0, "latency": 1.0}
    with SandboxServer(fast_config(fault_rate=0.25, seed=11, fault_weights=weights)) as server:
        async with rig(server.base_url, server.api_key, tmp_path) as r:
            result = await run_plan(make_plan(idents, mode="legacy", etype="full"),
                                    client=r.client, journal=r.journal, cache=r.cache,
                                    tuning=FAST)
        ledger = server.ledger()
    assert {o.status for o in result.outcomes.values()} <= {"enriched", "not_found"}
    assert max(charges_by_identity(ledger).values()) == 1
    assert credits(result) == ledger["charged_total"]  # type: ignore[index]
    assert result.retries > 0


class Killed(BaseException):
    """The process dies here (kill -9): nothing after this point runs."""


class KillAfter(httpx.AsyncBaseTransport):
    """Let the server do the `n`-th request matching `suffix`, then die before the answer."""

    def __init__(self, suffix: str, n: int = 1, *, before: bool = False) -> None:
        self.inner = httpx.AsyncHTTPTransport()
        self.suffix, self.n, self.before = suffix, n, before

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if self.before and request.url.path.endswith(self.suffix):
            self.n -= 1
            if self.n == 0:  # journaled, never sent
                raise Killed
        response = await self.inner.handle_async_request(request)
        if not self.before and request.url.path.endswith(self.suffix):
            self.n -= 1
            if self.n == 0:
                await response.aclose()
                raise Killed
        return response

    async def aclose(self) -> None:
        await self.inner.aclose()


async def _run_killed(server: SandboxServer, tmp_path: Path, idents: list[Identity],
                      transport: httpx.AsyncBaseTransport) -> None:
    async with rig(server.base_url, server.api_key, tmp_path,
                   http=httpx.AsyncClient(transport=transport)) as r:
        with pytest.raises((Killed, BaseExceptionGroup)) as killed:  # a TaskGroup wraps it
            await run_plan(make_plan(idents, mode="legacy", etype="full"), client=r.client,
                           journal=r.journal, cache=r.cache,
                           tuning=FAST)
        assert killed.type is Killed or killed.group_contains(Killed)


@pytest.mark.anyio
@pytest.mark.parametrize(("suffix", "n", "before"), [
    ("/enrich/bulk", 1, True), ("/enrich/bulk", 2, True), ("/enrich/bulk", 1, False),
    ("/enrich/bulk", 2, False), ("/enrich/status", 1, False), ("/enrich/status", 3, False)])
async def test_killed_at_any_moment_a_rerun_pays_nobody_twice(
        tmp_path: Path, suffix: str, n: int, before: bool) -> None:
    """kill -9 between a batch's intent and its sending, right after a submission reached the
    server (its answer never journaled) or in the middle of the polls: the same command again
    finishes every row and nobody is charged twice; the credits match the ledger."""
    idents = [named(n) for n in range(520)]
    with SandboxServer(fast_config()) as server:
        await _run_killed(server, tmp_path, idents, KillAfter(suffix, n, before=before))
        async with rig(server.base_url, server.api_key, tmp_path) as r:
            result = await run_plan(make_plan(idents, mode="legacy", etype="full"),
                                    client=r.client, journal=r.journal, cache=r.cache,
                                    tuning=FAST)
        ledger = server.ledger()
    assert result.resumed
    assert {o.status for o in result.outcomes.values()} == {"enriched", "not_found"}
    assert max(charges_by_identity(ledger).values()) == 1
    assert credits(result) == ledger["charged_total"]  # type: ignore[index]
    assert paths(ledger)["/enrich/bulk"] == math.ceil(len(idents) / 250)


class Sent(httpx.AsyncBaseTransport):
    """A real transport that sets `event` once `n` requests matching `suffix` were answered."""

    def __init__(self, suffix: str, n: int) -> None:
        self.inner = httpx.AsyncHTTPTransport()
        self.suffix, self.n = suffix, n
        self.event = asyncio.Event()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        response = await self.inner.handle_async_request(request)
        if request.url.path.endswith(self.suffix):
            self.n -= 1
            if self.n <= 0:
                self.event.set()
        return response

    async def aclose(self) -> None:
        await self.inner.aclose()


@pytest.mark.anyio
async def test_ctrl_c_then_rerun_pays_nobody_twice(tmp_path: Path) -> None:
    """Ctrl-C (the run's task cancelled) while batches are in flight: the rerun collects them."""
    idents = [named(n) for n in range(400)]
    with SandboxServer(fast_config(time_scale=0.02)) as server:
        sent = Sent("/enrich/bulk", 2)
        async with rig(server.base_url, server.api_key, tmp_path,
                       http=httpx.AsyncClient(transport=sent)) as r:
            task = asyncio.create_task(run_plan(
                make_plan(idents, mode="legacy"), client=r.client, journal=r.journal,
                cache=r.cache, tuning=FAST))
            await sent.event.wait()
            task.cancel()
            with pytest.raises(errors.Interrupted):
                await task
        async with rig(server.base_url, server.api_key, tmp_path) as r:
            result = await run_plan(make_plan(idents, mode="legacy"), client=r.client,
                                    journal=r.journal, cache=r.cache,
                                    tuning=FAST)
        ledger = server.ledger()
    assert {o.status for o in result.outcomes.values()} == {"enriched", "not_found"}
    assert max(charges_by_identity(ledger).values()) == 1
    assert credits(result) == ledger["charged_total"]  # type: ignore[index]
    assert paths(ledger)["/enrich/bulk"] == 2


class SpendMeanwhile(httpx.AsyncBaseTransport):
    """Another user of the account spends a credit (a company lookup) during the run."""

    def __init__(self, base_url: str, api_key: str) -> None:
        self.inner = httpx.AsyncHTTPTransport()
        self.base_url, self.api_key, self.left = base_url, api_key, 1

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if self.left and request.url.path.endswith("/enrich/status"):
            self.left = 0
            async with httpx.AsyncClient() as other:
                await other.post(self.base_url + "/enrichment/company", json={"domain": "x.io"},
                                 headers={"Authorization": f"Bearer {self.api_key}"})
        return await self.inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self.inner.aclose()


@pytest.mark.anyio
async def test_derived_credits_are_checked_against_the_balance(tmp_path: Path) -> None:
    """The results' credits equal what the balance fell by (no warning); when something else
    of the account spends meanwhile, a warning gives both figures."""
    idents = [named(n) for n in range(30)]
    with SandboxServer(fast_config()) as server:
        async with rig(server.base_url, server.api_key, tmp_path / "a") as r:
            clean = await run_plan(make_plan(idents, mode="legacy"), client=r.client,
                                   journal=r.journal, cache=r.cache, tuning=FAST)
        meddled = SpendMeanwhile(server.base_url, server.api_key)
        async with rig(server.base_url, server.api_key, tmp_path / "b",
                       http=httpx.AsyncClient(transport=meddled)) as r:
            other = await run_plan(make_plan(idents[:10], mode="legacy", run_id="other"),
                                   client=r.client, journal=r.journal, cache=None,
                                   tuning=FAST)
    assert clean.warnings == ()
    assert clean.balance_before is not None
    assert clean.balance_after is not None
    assert clean.balance_before - clean.balance_after == credits(clean)
    derived = credits(other)
    assert other.warnings == (
        f"the legacy results add up to {derived:,} credits for this run, but the balance fell "
        f"by {derived + 1:,} (from {other.balance_before:,} to {other.balance_after:,}); check "
        "the account's usage (another run of the account, or a price other than documented)",)


def test_the_report_says_the_credits_were_worked_out_from_results(tmp_path: Path) -> None:
    """End to end with CSV import off: the report's mode is legacy, its credits equal the
    ledger, and it says they were derived from the results (no settlement for legacy runs)."""
    source = tmp_path / "people.csv"
    rows = [f"Ann{n},Lee{n},Acme {n % 3},ann{n}@acme{n % 3}.io" for n in range(20)]
    source.write_text("First Name,Last Name,Company,Email\n" + "\n".join(rows) + "\n")
    with SandboxServer(fast_config()) as server:
        connection = Connection(state_dir=tmp_path / "state", base_url=server.base_url,
                                api_key=server.api_key, rate_limit_per_min=6000)
        report = enrich_file(EnrichOptions(input=source, output=tmp_path / "out.csv", yes=True,
                                           connection=connection), tuning=FAST)
        ledger = server.ledger()
    assert report.mode == "legacy"
    assert report.credits.charged == ledger["charged_total"]
    assert DERIVED in report.notes
    assert any("worked out from the results" in line for line in summary_lines(report))
    assert report.rows.enriched + report.rows.not_found == 20


@pytest.mark.anyio
async def test_another_run_with_the_same_people_collects_an_interrupted_legacy_run(
        tmp_path: Path) -> None:
    """An interrupted legacy run, then a run of another file (another run id) with the same
    people plus new ones: the batches in flight are collected, not paid again."""
    idents = [named(n) for n in range(300)]
    with SandboxServer(fast_config()) as server:
        await _run_killed(server, tmp_path, idents, KillAfter("/enrich/status", 1))
        more = [*idents[:280], *(named(n) for n in range(1000, 1020))]
        async with rig(server.base_url, server.api_key, tmp_path) as r:
            result = await run_plan(make_plan(more, mode="legacy", etype="full",
                                              run_id="edited-file"),
                                    client=r.client, journal=r.journal, cache=None,
                                    tuning=FAST)
        ledger = server.ledger()
    assert max(charges_by_identity(ledger).values()) == 1
    assert {o.status for o in result.outcomes.values()} == {"enriched", "not_found"}
    assert sum(1 for o in result.outcomes.values() if "earlier interrupted run" in o.note) >= 250


@pytest.mark.anyio
async def test_auto_mode_remembers_that_csv_import_is_off(tmp_path: Path) -> None:
    """After a 503 from CSV import, the account's next run in auto mode goes straight to legacy
    bulk (no list made, no import tried) and says why; --mode bulk still tries it."""
    with SandboxServer(fast_config()) as server:
        async with rig(server.base_url, server.api_key, tmp_path) as r:
            first = await run_plan(make_plan([named(n) for n in range(10)], mode="auto"),
                                   client=r.client, journal=r.journal, cache=r.cache,
                                   tuning=FAST)
            before = paths(server.ledger())
            second = await run_plan(make_plan([named(n) for n in range(10, 20)], mode="auto",
                                              run_id="second"),
                                    client=r.client, journal=r.journal, cache=r.cache,
                                    tuning=FAST)
            after = paths(server.ledger())
            forced = await run_plan(make_plan([named(n) for n in range(20, 30)], mode="bulk",
                                              run_id="forced"),
                                    client=r.client, journal=r.journal, cache=r.cache,
                                    tuning=FAST)
        final = paths(server.ledger())
    assert (first.mode, second.mode, forced.mode) == ("legacy", "legacy", "legacy")
    assert "(the API answered 503)" in first.warnings[0]
    assert "(it answered 503 under an hour ago; csv-enrich tries it again after 24 hours, or " \
        "at once with --mode bulk)" in second.warnings[0]
    new = after - before
    assert new["/lead-lists"] == 0
    assert sum(n for p, n in new.items() if p.endswith("/csv-import")) == 0
    assert sum(n for p, n in (final - after).items() if p.endswith("/csv-import")) == 1
