"""The enrichment engine: the money check before anything is sent, then one run of a Plan.

The strategies (rows, bulk, legacy bulk, company lookups) implement one seam (`context.Strategy`)
and return the same Outcome records; `plan.choose_route` picks the route once, `route.run_route`
drives it.
`run_plan` resumes what the journal knows about `plan.run_id`, collects what earlier unfinished
runs already paid for, and turns a cancellation into errors.Interrupted with the journal
committed (every journal write is durable when it returns).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace

from csv_enrich import errors
from csv_enrich.api.client import CleanlistClient
from csv_enrich.engine.context import RunContext, Tuning, heartbeat, take_books
from csv_enrich.engine.prior import collect_earlier, register
from csv_enrich.engine.route import run_route
from csv_enrich.journal import Journal, ResultCache
from csv_enrich.models import (
    EnrichmentType,
    EnrichOptions,
    Mode,
    Outcome,
    Plan,
    Progress,
    RunResult,
    WorkflowRecord,
)
from csv_enrich.plan import Route, check_budget, choose_route
from csv_enrich.plan_columns import IdentityFrame

__all__ = ["RunInterrupted", "Tuning", "preflight", "run_plan"]

INTERRUPTED = ("Interrupted. Everything already submitted is saved in the journal; run the same "
               "command again to resume without paying twice.")
UNFINISHED = "not finished in this run; run the same command again to resume"
KNOWN_PART = "the rest known from an earlier run (cache); only what was missing was bought"
PART_ONLY = "only what an earlier run found; the rest was not bought"


class RunInterrupted(errors.Interrupted):
    """Interrupted mid-run, with what the run did up to then (so its output and report can be
    written, marked interrupted)."""

    def __init__(self, message: str, result: RunResult) -> None:
        super().__init__(message)
        self.result = result


async def preflight(plan: Plan, client: CleanlistClient) -> int:
    """GET the balance; raise CreditsError (exit 3) when the most the run can cost is over
    the plan's cap (--max-credits) or over the balance (plan.check_budget). Returns the
    balance."""
    balance = await client.balance()
    check_budget(plan, balance=balance)
    return balance


async def run_plan(
    plan: Plan,
    *,
    client: CleanlistClient,
    journal: Journal,
    cache: ResultCache | None,
    workers: int = EnrichOptions.concurrency,
    progress: Callable[[Progress], None] | None = None,
    tuning: Tuning | None = None,
    balance_before: int | None = None,
) -> RunResult:
    """Enrich `plan.identities` on `workers` concurrent requests, never past `plan.max_credits`:
    one Outcome per identity, the workflows, requests and money."""
    ctx = RunContext(plan, client, journal, cache, progress, tuning or Tuning(), max(1, workers))
    resumed = journal.known(plan.run_id)
    route = choose_route(plan, started=journal.started_mode(plan.run_id),
                         auto_bulk_min=ctx.tuning.auto_bulk_min)
    beat = asyncio.create_task(heartbeat(ctx))
    try:
        if balance_before is None:
            balance_before = client.unspent_balance()
        if balance_before is None:
            balance_before = await client.balance()
        ctx.balance_left = balance_before
        balance_before = journal.first_balance(plan.run_id, balance_before)
        mode = await _run(ctx, route, fresh=not resumed)
        spent = ctx.settled_here or ctx.reserved_total
        balance_after = await client.balance() if spent else ctx.balance_left
        for check in ctx.after_run:
            check(balance_after)
    except asyncio.CancelledError:
        mode = _mode_so_far(ctx)
        partial = _result(ctx, mode, balance_before, None, resumed=resumed)
        raise RunInterrupted(INTERRUPTED, partial) from None
    finally:
        beat.cancel()
    return _result(ctx, mode, balance_before, balance_after, resumed=resumed)


def _mode_so_far(ctx: RunContext) -> Mode:
    """The mode the run is in when interrupted: the route's, or what it fell back to."""
    return choose_route(ctx.plan, started=ctx.journal.started_mode(ctx.run_id),
                        auto_bulk_min=ctx.tuning.auto_bulk_min).mode


async def _run(ctx: RunContext, route: Route, *, fresh: bool) -> Mode:
    register(ctx)
    await collect_earlier(ctx)
    idents = IdentityFrame.of(ctx.plan.identities, ctx.plan.kind).without(ctx.outcomes)
    ctx.journal.record_mode(ctx.run_id, route.mode)
    ctx.warnings.extend(route.warnings)
    if ctx.plan.kind == "person":
        for etype, group in _other_types(ctx, idents).items():
            await _at_type(ctx, etype, idents.only(group), route, fresh=fresh)
        idents = idents.without(ctx.outcomes)
    return await run_route(ctx, route, idents, fresh=fresh)


def _other_types(ctx: RunContext, idents: IdentityFrame) -> dict[EnrichmentType, list[str]]:
    """The keys of the identities the plan buys at another type than the run's, by type."""
    groups: dict[EnrichmentType, list[str]] = {}
    if not ctx.types and not ctx.plan.types:
        return groups
    for key in idents.key_column():
        etype = ctx.type_of(key)
        if etype != ctx.etype:
            groups.setdefault(etype, []).append(key)
    return groups


async def _at_type(ctx: RunContext, etype: EnrichmentType, idents: IdentityFrame,
                   route: Route, *, fresh: bool) -> None:
    """Buy `idents` at `etype` (e.g. phone_only for people whose email is known) as a part of
    this run with its own journal name: its workflows are this run's, and each outcome, merged
    with what was known, is this run's the moment it ends."""
    cap = ctx.plan.max_credits
    plan = replace(ctx.plan, run_id=f"{ctx.run_id}+{etype}", enrichment_type=etype,
                   identities=idents, cached={}, row_keys=tuple(idents.key_column()),
                   types={}, prefill={}, max_credits=None if cap is None else max(
                       0, cap - ctx.charged - ctx.in_flight))

    def take(outcome: Outcome, final: bool) -> None:
        whole = outcome.status in ("enriched", "not_found")  # else only the known part
        ctx.finish(_merged(ctx.known_of(outcome.key), outcome), journal=final, cache=whole)

    part = RunContext(plan, ctx.client, ctx.journal, ctx.cache, None, ctx.tuning, ctx.workers,
                      balance_left=ctx.balance_left, paid_by=ctx.run_id, on_finish=take)
    register(part)  # a later run finds what this part has in flight
    started = ctx.journal.started_mode(part.run_id)
    mine = route if started in (None, route.mode) else choose_route(
        plan, started=started, auto_bulk_min=ctx.tuning.auto_bulk_min)
    ctx.journal.record_mode(part.run_id, mine.mode)
    await run_route(part, mine, idents, fresh=fresh and started is None)
    take_books(ctx, part)

def _merged(known: Outcome | None, bought: Outcome) -> Outcome:
    """What was bought, with what was known of the person (the other part) added, and the
    credits paid for that part in this run (a collected earlier run's), if any."""
    if known is None:
        return bought
    credits = known.credits + bought.credits
    if bought.status not in ("enriched", "not_found"):  # the rest was not bought: keep the part
        note = f"{PART_ONLY}: {bought.note}" if bought.note else PART_ONLY
        return replace(known, key=bought.key, credits=credits, note=note)
    data = {**known.data, **bought.data}
    found = known.status == "enriched" or bought.status == "enriched"
    note = "; ".join(n for n in (known.note if known.credits else KNOWN_PART, bought.note) if n)
    return replace(bought, status="enriched" if found else "not_found", data=data, note=note,
                   credits=credits)


def _result(ctx: RunContext, mode: Mode, before: int | None, after: int | None, *,
            resumed: bool) -> RunResult:
    stats = ctx.client.stats
    keys = IdentityFrame.of(ctx.plan.identities, ctx.plan.kind).key_column()
    outcomes = {o.key: o for k in keys if (o := ctx.outcomes.get(k)) is not None}
    outcomes |= {k: _unfinished(k) for k in keys if k not in outcomes}
    ctx.tick(force=True)
    workflows = ctx.journal.workflows(ctx.run_id)
    untraced, undecided = ctx.lost_in_run()  # across the run's resumes, as its credits
    return RunResult(
        mode=mode, outcomes=outcomes, workflows=workflows,
        requests=stats.requests, retries=stats.retries, rate_limited=stats.rate_limited,
        credits_reserved=_reserved(mode, outcomes, workflows), balance_before=before,
        balance_after=after, warnings=tuple(ctx.warnings), resumed=resumed,
        lost_untraced=untraced, lost_undecided=undecided,
    )


def _reserved(mode: Mode, outcomes: Mapping[str, Outcome],
              workflows: Sequence[WorkflowRecord]) -> int:
    """What the API reserved for the run: each workflow's reservation, once. A company lookup
    settles in its own call (reserved = charged, nothing refunded)."""
    if mode == "sync":
        return sum(o.credits for o in outcomes.values())
    return sum(w.credits_reserved for w in workflows)


def _unfinished(key: str) -> Outcome:
    return Outcome(key, "failed", note=UNFINISHED)
