"""The engine against a real sandbox over loopback: rows, company sync, cap, preflight, cache."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from csv_enrich import errors
from csv_enrich.engine.run import preflight, run_plan
from csv_enrich.models import Plan, Progress
from csv_enrich.plan import choose_route
from csv_enrich.sandbox import SandboxConfig, SandboxServer
from tests.test_engine_helpers import (
    FAST,
    charges_by_identity,
    company,
    make_plan,
    person,
    rig,
)


@pytest.fixture
def sandbox() -> Iterator[SandboxServer]:
    """A fast sandbox: millisecond workflows, limits out of the way."""
    config = SandboxConfig(credits=100_000, time_scale=0.001, rate_limit_per_min=100_000,
                           org_rate_limit_per_min=100_000)
    with SandboxServer(config) as server:
        yield server


@pytest.mark.anyio
async def test_rows_mode_enriches_every_identity_and_matches_the_ledger(
        sandbox: SandboxServer, tmp_path: Path) -> None:
    """Rows mode returns one outcome per identity whose credits sum to what the sandbox charged."""
    idents = [person(n) for n in range(12)]
    plan = make_plan(idents, mode="rows", etype="full")
    ticks: list[Progress] = []
    async with rig(sandbox.base_url, sandbox.api_key, tmp_path) as r:
        result = await run_plan(plan, client=r.client, journal=r.journal, cache=r.cache,
                                progress=ticks.append, tuning=FAST)
    ledger = sandbox.ledger()
    assert result.mode == "rows"
    assert set(result.outcomes) == {i.key for i in idents}
    statuses = {o.status for o in result.outcomes.values()}
    assert statuses <= {"enriched", "not_found"}
    assert "enriched" in statuses
    assert sum(o.credits for o in result.outcomes.values()) == ledger["charged_total"]
    assert result.balance_before is not None
    assert result.balance_after is not None
    assert result.balance_before - result.balance_after == ledger["charged_total"]
    assert len(result.workflows) == 12
    assert max(charges_by_identity(ledger).values()) == 1
    assert result.requests <= 1 + 12 * 3 + 2
    assert ticks[-1].done == 12
    enriched = [o for o in result.outcomes.values() if o.status == "enriched"]
    assert all(o.data.get("email") or o.data.get("phone") for o in enriched)


@pytest.mark.anyio
async def test_company_sync_with_not_found(sandbox: SandboxServer, tmp_path: Path) -> None:
    """Company lookups are enriched at 1 credit or not_found at 0, matching the ledger."""
    idents = [company(n) for n in range(8)]
    plan = make_plan(idents, kind="company", mode="auto")
    async with rig(sandbox.base_url, sandbox.api_key, tmp_path) as r:
        result = await run_plan(plan, client=r.client, journal=r.journal, cache=r.cache,
                                tuning=FAST)
    assert result.mode == "sync"
    assert set(result.outcomes) == {i.key for i in idents}
    for outcome in result.outcomes.values():
        assert (outcome.status, outcome.credits) in {("enriched", 1), ("not_found", 0)}
    assert sum(o.credits for o in result.outcomes.values()) == sandbox.ledger()["charged_total"]
    assert result.credits_reserved == sandbox.ledger()["charged_total"]


@pytest.mark.anyio
async def test_company_file_with_mode_bulk_says_it_ran_sync(
        sandbox: SandboxServer, tmp_path: Path) -> None:
    """--mode bulk on a company file warns that companies are looked up one call each."""
    plan = make_plan([company(1)], kind="company", mode="bulk")
    async with rig(sandbox.base_url, sandbox.api_key, tmp_path) as r:
        result = await run_plan(plan, client=r.client, journal=r.journal, cache=r.cache,
                                tuning=FAST)
    assert result.mode == "sync"
    assert any("--mode bulk applies to people" in w for w in result.warnings)


@pytest.mark.anyio
async def test_cap_skips_what_would_pass_it(sandbox: SandboxServer, tmp_path: Path) -> None:
    """With --max-credits 3 and phone lookups at 10, nothing is sent and all rows are skipped."""
    idents = [person(n) for n in range(4)]
    plan = make_plan(idents, mode="rows", etype="phone_only", max_credits=25)
    async with rig(sandbox.base_url, sandbox.api_key, tmp_path) as r:
        result = await run_plan(plan, client=r.client, journal=r.journal, cache=r.cache,
                                tuning=FAST)
    statuses = [result.outcomes[i.key].status for i in idents]
    assert statuses.count("skipped") == 2
    assert "max-credits 25" in result.outcomes[idents[-1].key].note
    assert sandbox.ledger()["charged_total"] <= 25


@pytest.mark.anyio
async def test_preflight_refuses_over_the_cap_and_the_balance(
        sandbox: SandboxServer, tmp_path: Path) -> None:
    """preflight raises CreditsError (exit 3) with the numbers, and returns the balance if fine."""
    plan = make_plan([person(n) for n in range(5)], etype="full")  # up to 55 credits
    async with rig(sandbox.base_url, sandbox.api_key, tmp_path) as r:
        assert await preflight(plan, r.client) == 100_000
        with pytest.raises(errors.CreditsError, match="up to 55 credits, over --max-credits 50"):
            await preflight(replace(plan, max_credits=50), r.client)
    small = SandboxConfig(credits=20, time_scale=0.001, rate_limit_per_min=100_000)
    with SandboxServer(small) as poor:
        async with rig(poor.base_url, poor.api_key, tmp_path) as r:
            with pytest.raises(errors.CreditsError, match="balance is 20 \\(short by 35\\)"):
                await preflight(plan, r.client)


@pytest.mark.anyio
async def test_results_are_cached_for_later_runs(sandbox: SandboxServer, tmp_path: Path) -> None:
    """Enriched people land in the result cache; a partial hit is free, a full one needs both."""
    idents = [person(n) for n in range(6)]
    plan = make_plan(idents, mode="rows")
    async with rig(sandbox.base_url, sandbox.api_key, tmp_path) as r:
        result = await run_plan(plan, client=r.client, journal=r.journal, cache=r.cache,
                                tuning=FAST)
        enriched = [k for k, o in result.outcomes.items() if o.status == "enriched"]
        assert enriched
        scope = r.client.scope
        hit = r.cache.lookup("person", enriched[0], "partial", 30, scope=scope)
        assert hit is not None
        assert (hit.note, hit.credits) == ("cached", 0)
        assert r.cache.lookup("person", enriched[0], "full", 30, scope=scope) is None
        assert r.cache.lookup("person", enriched[0], "partial", 30, scope="other") is None


@pytest.mark.anyio
async def test_rerun_of_a_finished_run_sends_nothing_paid(
        sandbox: SandboxServer, tmp_path: Path) -> None:
    """Running the same plan again reads the journal and pays nothing more."""
    plan = make_plan([person(n) for n in range(5)], mode="rows")
    async with rig(sandbox.base_url, sandbox.api_key, tmp_path) as r:
        first = await run_plan(plan, client=r.client, journal=r.journal, cache=r.cache,
                               tuning=FAST)
        charged = sandbox.ledger()["charged_total"]
        again = await run_plan(plan, client=r.client, journal=r.journal, cache=r.cache,
                               tuning=FAST)
    assert again.outcomes == first.outcomes
    assert sandbox.ledger()["charged_total"] == charged


def test_auto_mode_uses_rows_for_a_handful_and_bulk_beyond() -> None:
    """Auto picks rows below the threshold, bulk from it; companies are always sync."""
    def choose_mode(plan: Plan) -> str:
        return choose_route(plan, auto_bulk_min=FAST.auto_bulk_min).mode

    assert choose_mode(make_plan([person(n) for n in range(3)], mode="auto")) == "rows"
    assert choose_mode(make_plan([person(n) for n in range(5)], mode="auto")) == "bulk"
    assert choose_mode(make_plan([company(1)], kind="company", mode="auto")) == "sync"


@pytest.mark.slow
@pytest.mark.anyio
async def test_progress_reports_waiting_on_the_rate_limit(
        sandbox: SandboxServer, tmp_path: Path) -> None:
    """While a 429 burst holds requests back, the progress ticks say so; the run still ends."""
    import httpx

    root = sandbox.base_url.split("/api/")[0]
    async with httpx.AsyncClient() as admin:
        await admin.post(f"{root}/_sandbox/config", json={"force_faults": ["429_burst"]})
    plan = make_plan([person(n) for n in range(3)], mode="rows")
    ticks: list[Progress] = []
    async with rig(sandbox.base_url, sandbox.api_key, tmp_path) as r:
        result = await run_plan(plan, client=r.client, journal=r.journal, cache=r.cache,
                                progress=ticks.append, tuning=FAST)
    assert any(t.waiting_on_rate_limit for t in ticks)
    assert not ticks[-1].waiting_on_rate_limit
    assert ticks[-1].done == ticks[-1].total == 3
    assert result.rate_limited == 3


@pytest.mark.anyio
async def test_bulk_cap_sends_only_what_fits(sandbox: SandboxServer, tmp_path: Path) -> None:
    """With --max-credits 7 over 10 partial rows, bulk imports 7 and skips 3 with the reason."""
    idents = [person(n) for n in range(10)]
    async with rig(sandbox.base_url, sandbox.api_key, tmp_path) as r:
        result = await run_plan(make_plan(idents, mode="bulk", max_credits=7), client=r.client,
                                journal=r.journal, cache=r.cache, tuning=FAST)
    skipped = [i.key for i in idents if result.outcomes[i.key].status == "skipped"]
    assert skipped == [i.key for i in idents[7:]]
    assert "--max-credits 7" in result.outcomes[skipped[0]].note
    assert result.workflows[0].credits_reserved == 7


@pytest.mark.anyio
async def test_a_refused_key_raises_auth_error(sandbox: SandboxServer, tmp_path: Path) -> None:
    """A bad key stops the run with AuthError (exit 4) and a message without the key."""
    async with rig(sandbox.base_url, "clapi_wrong_key_123", tmp_path) as r:
        with pytest.raises(errors.AuthError) as info:
            await run_plan(make_plan([person(1)]), client=r.client, journal=r.journal,
                           cache=r.cache, tuning=FAST)
    assert info.value.exit_code == errors.ExitStatus.AUTH
    assert "clapi_wrong_key_123" not in str(info.value)


@pytest.mark.anyio
async def test_low_balance_skips_the_rest(tmp_path: Path) -> None:
    """When the balance runs out mid-run, the rest is skipped with the reason, never failed."""
    config = SandboxConfig(credits=25, time_scale=0.001, rate_limit_per_min=100_000,
                           org_rate_limit_per_min=100_000)
    idents = [person(n) for n in range(4)]
    with SandboxServer(config) as server:
        async with rig(server.base_url, server.api_key, tmp_path) as r:
            result = await run_plan(make_plan(idents, etype="phone_only"), client=r.client,
                                    journal=r.journal, cache=r.cache,
                                    tuning=FAST)
    statuses = [result.outcomes[i.key].status for i in idents]
    assert statuses.count("skipped") == 2
    assert all("balance" in result.outcomes[i.key].note for i in idents
               if result.outcomes[i.key].status == "skipped")


@pytest.mark.anyio
async def test_nothing_to_send_costs_one_request(sandbox: SandboxServer, tmp_path: Path) -> None:
    """A plan with no identities (all cached or invalid) only reads the balance."""
    async with rig(sandbox.base_url, sandbox.api_key, tmp_path) as r:
        result = await run_plan(make_plan([]), client=r.client, journal=r.journal,
                                cache=r.cache, tuning=FAST)
    assert result.outcomes == {}
    assert result.requests == 1
    assert result.balance_after == result.balance_before


@pytest.mark.anyio
async def test_preflight_balance_is_reused_by_the_run(sandbox: SandboxServer,
                                                      tmp_path: Path) -> None:
    """run_plan right after preflight takes the balance preflight read instead of asking again."""
    plan = make_plan([person(n) for n in range(2)])
    async with rig(sandbox.base_url, sandbox.api_key, tmp_path) as r:
        balance = await preflight(plan, r.client)
        result = await run_plan(plan, client=r.client, journal=r.journal, cache=r.cache,
                                tuning=FAST)
        assert r.client.unspent_balance() == result.balance_after
    assert result.balance_before == balance
    reads = [q for q in sandbox.ledger()["requests"] if q["path"].endswith("/credits/balance")]
    assert len(reads) == 2  # preflight's, and the one after the run
