"""Never paid twice across runs: Ctrl-C mid-run, then another file or other options (a new run)."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from pathlib import Path

import pytest

from csv_enrich import errors
from csv_enrich.engine.prior import ADOPTED
from csv_enrich.engine.rows import UNMATCHED
from csv_enrich.engine.run import run_plan
from csv_enrich.journal import ResultCache
from csv_enrich.models import Identity, Plan
from csv_enrich.sandbox import SandboxConfig, SandboxServer
from tests.test_engine_helpers import FAST, charges_by_identity, make_plan, person, rig

CONFIG = SandboxConfig(credits=100_000, time_scale=0.05, rate_limit_per_min=100_000,
                       org_rate_limit_per_min=100_000)


def uncached(plan: Plan, cache: ResultCache, scope: str) -> Plan:
    """The plan as make_plan would leave it: cache hits (by any alias, in scope) taken out."""
    hits = {i.key: hit for i in plan.identities
            if (hit := cache.lookup("person", (i.key, *i.aliases), plan.enrichment_type, 30,
                                    scope=scope, exclude_run=plan.run_id)) is not None}
    rest = tuple(i for i in plan.identities if i.key not in hits)
    return replace(plan, identities=rest, cached=hits)


async def interrupt(server: SandboxServer, plan: Plan, state: Path, path: str,
                    count: int) -> None:
    """Start the run and cancel it (Ctrl-C) once the sandbox got `count` requests on `path`."""
    async with rig(server.base_url, server.api_key, state, rate=1200) as r:
        task = asyncio.create_task(run_plan(plan, client=r.client, journal=r.journal,
                                            cache=r.cache, tuning=FAST))
        for _ in range(6000):
            got = sum(1 for q in server.ledger()["requests"] if q["path"].endswith(path))
            if got >= count or task.done():
                break
            await asyncio.sleep(0.005)
        task.cancel()
        with pytest.raises(errors.Interrupted):
            await task


@pytest.mark.anyio
@pytest.mark.parametrize(("mode", "path", "count"), [
    ("rows", "/enrichment/person", 8),
    ("bulk", "/enrichment/bulk", 1),
])
async def test_interrupted_run_then_an_edited_file_pays_nobody_twice(
        tmp_path: Path, mode: str, path: str, count: int) -> None:
    """QA: Ctrl-C once paid work is in flight, then a different file (one more row, other keys
    for the same people): what the first run submitted is collected, not paid again; the
    ledger shows nobody charged twice and the second run's books equal the ledger."""
    idents = [person(n) for n in range(16)]
    await interrupt_and_check(tmp_path, mode, path, count, idents)


async def interrupt_and_check(tmp_path: Path, mode: str, path: str, count: int,
                              idents: list[Identity]) -> None:
    """Interrupt a run over `idents`, then run an edited file; check the ledger."""
    with SandboxServer(CONFIG) as server:
        await interrupt(server, make_plan(idents, mode=mode, run_id="first"), tmp_path, path,
                        count)
        before = server.ledger()
        assert before["requests"], "the first run sent nothing"
        edited = [*idents, person(99)]
        async with rig(server.base_url, server.api_key, tmp_path) as r:
            plan = uncached(make_plan(edited, mode=mode, run_id="edited"), r.cache, r.client.scope)
            result = await run_plan(plan, client=r.client, journal=r.journal, cache=r.cache,
                                    tuning=FAST)
        ledger = server.ledger()
    assert {o.status for o in result.outcomes.values()} <= {"enriched", "not_found"}
    assert max(charges_by_identity(ledger).values()) == 1
    adopted = [o for o in result.outcomes.values() if o.note.startswith(ADOPTED)]
    assert adopted, "nothing was in flight when the first run stopped"
    charged_first = sum(c["credits"] for c in before["charges"])
    assert sum(o.credits for o in result.outcomes.values()) + charged_first >= (
        ledger["charged_total"])


@pytest.mark.anyio
async def test_a_row_known_by_another_alias_is_collected_not_paid(tmp_path: Path) -> None:
    """The first run sent people by email; the second file has their LinkedIn too (another
    key): the earlier submissions are found by alias and nobody is charged twice."""
    idents = [Identity("person", f"email:p{n}@firm.io", email=f"p{n}@firm.io",
                       aliases=(f"email:p{n}@firm.io",)) for n in range(12)]
    with SandboxServer(CONFIG) as server:
        await interrupt(server, make_plan(idents, mode="rows", run_id="first"), tmp_path,
                        "/enrichment/person", 6)
        richer = [replace(i, key=f"li:p{n}", linkedin_url=f"https://www.linkedin.com/in/p{n}",
                          aliases=(f"li:p{n}", i.key)) for n, i in enumerate(idents)]
        async with rig(server.base_url, server.api_key, tmp_path) as r:
            plan = uncached(make_plan(richer, mode="rows", run_id="second"), r.cache,
                            r.client.scope)
            result = await run_plan(plan, client=r.client, journal=r.journal, cache=r.cache,
                                    tuning=FAST)
        ledger = server.ledger()
    # A request cancelled in flight may or may not have reached the API: when that cannot be
    # told from the list, the row fails rather than risk a second payment.
    assert all(o.status in ("enriched", "not_found") or UNMATCHED in o.note
               for o in result.outcomes.values())
    assert max(charges_by_identity(ledger).values()) == 1
    assert any(o.note.startswith(ADOPTED) for o in result.outcomes.values())


@pytest.mark.anyio
async def test_fewer_rows_after_an_interrupted_bulk_run_accounts_for_the_rest(
        tmp_path: Path) -> None:
    """QA: Ctrl-C after the bulk run was sent, then the same file with --limit one less: the
    bulk run is collected (nobody paid twice) and what it charged for the row left out is
    told in a warning, so the workflows' charges add up."""
    idents = [person(n) for n in range(16)]
    with SandboxServer(CONFIG) as server:
        await interrupt(server, make_plan(idents, mode="bulk", run_id="first"), tmp_path,
                        "/enrichment/bulk", 1)
        async with rig(server.base_url, server.api_key, tmp_path) as r:
            plan = uncached(make_plan(idents[:15], mode="bulk", run_id="limited"), r.cache,
                               r.client.scope)
            result = await run_plan(plan, client=r.client, journal=r.journal, cache=r.cache,
                                    tuning=FAST)
        ledger = server.ledger()
    assert max(charges_by_identity(ledger).values()) == 1
    assert len(ledger["settlements"]) == 1
    others = [int(w.split("charged ")[1].split()[0]) for w in result.warnings
              if "people not in this run" in w]
    charged = sum(w.credits_charged for w in result.workflows)
    assert sum(o.credits for o in result.outcomes.values()) + sum(others) == charged
    assert charged == ledger["charged_total"]
