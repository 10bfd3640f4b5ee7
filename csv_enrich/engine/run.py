"""The enrichment engine: the money check before anything is sent, then one run of a Plan.

Two strategies for people return the same Outcome records: rows (engine_rows: one call per
person) and bulk (engine_bulk: import the rows into a list, one quoted bulk run, read the list
back); companies go through engine_company. `run_plan` picks the strategy, resumes what the
journal knows about `plan.run_id`, and turns a cancellation into errors.Interrupted with the
journal committed (every journal write is durable when it returns).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping, Sequence
from typing import cast

from csv_enrich import errors
from csv_enrich.api.client import CleanlistClient
from csv_enrich.engine.bulk import BulkRunner, CsvImportDisabled, importable
from csv_enrich.engine.company import CompanyRunner
from csv_enrich.engine.context import RunContext, Tuning, heartbeat
from csv_enrich.engine.legacy import LegacyRunner, balance_check, takes
from csv_enrich.engine.prior import collect_earlier, register
from csv_enrich.engine.rows import RowsRunner
from csv_enrich.journal import Journal, ResultCache
from csv_enrich.models import (
    EnrichOptions,
    Identity,
    Mode,
    Outcome,
    Plan,
    Progress,
    RunResult,
    WorkflowRecord,
)
from csv_enrich.plan import check_budget

__all__ = ["RunInterrupted", "Tuning", "choose_mode", "preflight", "run_plan"]

INTERRUPTED = ("Interrupted. Everything already submitted is saved in the journal; run the same "
               "command again to resume without paying twice.")
UNFINISHED = "not finished in this run; run the same command again to resume"
RESUME_MODE = ("--mode {asked} was not used: this run started in {started} mode and goes on in it, "
               "so nobody it already sent is paid for again.")
FALLBACK = ("CSV import is switched off for this account (the API answered 503), so csv-enrich "
            "uses the legacy bulk endpoint (250 people a call) for {legacy:,} people with a "
            "LinkedIn URL or names + company{rest}.")
FALLBACK_REST = ("; {n:,} with only an email or a person id go one request each, about "
                 "{minutes} at {rate}/min")
COMPANY_MODE = ("--mode {mode} applies to people; a company file is looked up one company per "
                "call (sync)")


class RunInterrupted(errors.Interrupted):
    """Interrupted mid-run, with what the run did up to then (so its output and report can be
    written, marked interrupted)."""

    def __init__(self, message: str, result: RunResult) -> None:
        super().__init__(message)
        self.result = result


async def preflight(plan: Plan, client: CleanlistClient, options: EnrichOptions) -> int:
    """GET the balance; raise CreditsError (exit 3) when the most the run can cost is over
    --max-credits or over the balance (plan.check_budget's rule). Returns the balance."""
    balance = await client.balance()
    check_budget(plan, max_credits=options.max_credits, balance=balance)
    return balance


def choose_mode(plan: Plan, tuning: Tuning | None = None) -> Mode:
    """sync for companies; for people the mode asked, or in auto bulk beyond a handful of rows."""
    if plan.kind == "company":
        return "sync"
    if plan.mode in ("rows", "bulk", "legacy"):
        return plan.mode
    threshold = (tuning or Tuning()).auto_bulk_min
    return "bulk" if len(importable(plan.identities)) >= threshold else "rows"


async def run_plan(
    plan: Plan,
    *,
    client: CleanlistClient,
    journal: Journal,
    cache: ResultCache | None,
    options: EnrichOptions,
    progress: Callable[[Progress], None] | None = None,
    tuning: Tuning | None = None,
    balance_before: int | None = None,
) -> RunResult:
    """Enrich `plan.identities`: one Outcome per identity, the workflows, requests and money."""
    ctx = RunContext(plan, client, journal, cache, options, progress, tuning or Tuning())
    resumed = journal.known(plan.run_id)
    beat = asyncio.create_task(heartbeat(ctx))
    mode = choose_mode(plan, ctx.tuning)
    try:
        if balance_before is None:
            balance_before = client.unspent_balance()
        if balance_before is None:
            balance_before = await client.balance()
        ctx.balance_left = balance_before
        balance_before = _first_balance(journal, plan.run_id, balance_before)
        legacy: list[LegacyRunner] = []
        mode = await _run(ctx, mode, legacy)
        spent = ctx.settled_here or ctx.reserved_total
        balance_after = await client.balance() if spent else ctx.balance_left
        for runner in legacy:
            balance_check(ctx, runner, balance_after)
    except asyncio.CancelledError:
        mode = _resume_mode(ctx, mode, warn=False)
        partial = _result(ctx, mode, balance_before, None, resumed=resumed)
        raise RunInterrupted(INTERRUPTED, partial) from None
    finally:
        beat.cancel()
    return _result(ctx, mode, balance_before, balance_after, resumed=resumed)


async def _run(ctx: RunContext, mode: Mode, legacy: list[LegacyRunner]) -> Mode:
    workers = max(1, ctx.options.concurrency)
    register(ctx)
    await collect_earlier(ctx)
    idents = [i for i in ctx.plan.identities if i.key not in ctx.outcomes]
    mode = _resume_mode(ctx, mode)
    ctx.journal.set(ctx.run_id, "mode", mode)
    if mode == "sync":
        if ctx.options.mode != "auto":
            ctx.warnings.append(COMPANY_MODE.format(mode=ctx.options.mode))
        await CompanyRunner(ctx, idents, workers=workers).run()
        return mode
    if mode == "rows":
        await RowsRunner(ctx, idents, workers=workers).run()
        return mode
    if mode == "legacy":
        await _legacy(ctx, idents, workers, legacy)
        return mode
    try:
        await BulkRunner(ctx, idents, workers=workers).run()
    except CsvImportDisabled:
        idents = _not_sent(ctx, idents)
        _fallback_warning(ctx, idents)
        ctx.journal.set(ctx.run_id, "mode", "legacy")
        await _legacy(ctx, idents, workers, legacy)
        return "legacy"
    return mode


async def _legacy(ctx: RunContext, idents: list[Identity], workers: int,
                  legacy: list[LegacyRunner]) -> None:
    runner = LegacyRunner(ctx, idents, workers=workers)
    legacy.append(runner)
    await runner.run()


def _not_sent(ctx: RunContext, idents: list[Identity]) -> list[Identity]:
    """After the bulk path gave up (CSV import off), the identities it had not sent: those it
    skipped for the cap are weighed again by the strategy that takes over."""
    for ident in idents:
        if (o := ctx.outcomes.get(ident.key)) is not None and o.status == "skipped":
            del ctx.outcomes[ident.key]
    return [i for i in idents if i.key not in ctx.outcomes]


def _resume_mode(ctx: RunContext, asked: Mode, *, warn: bool = True) -> Mode:
    """A resumed run goes on in the mode it started in: what the first part submitted (a bulk
    run, or rows in flight) is only found again by the strategy that sent it, so switching
    --mode on a rerun would pay for those people twice."""
    started = ctx.journal.get(ctx.run_id, "mode")
    if started not in ("rows", "bulk", "legacy") or started == asked or asked == "sync":
        return asked
    if started == "legacy" and ctx.options.mode == "auto":  # CSV import was off: it still is
        return "legacy"
    if warn:
        ctx.warnings.append(RESUME_MODE.format(asked=asked, started=started))
    return cast(Mode, started)


def _first_balance(journal: Journal, run_id: str, balance: int) -> int:
    """The balance when the run first started (a resume or replay reports the whole run)."""
    first = journal.get(run_id, "balance_before")
    if first is None:
        journal.set(run_id, "balance_before", balance)
        return balance
    return int(first)


def _fallback_warning(ctx: RunContext, idents: list[Identity]) -> None:
    rest = len(idents) - len(takes(idents))
    rate = ctx.options.connection.rate_limit_per_min
    minutes = -(-rest * 2 // max(1, rate))  # a submission and a poll per row
    tail = FALLBACK_REST.format(n=rest, rate=rate, minutes="1 minute" if minutes <= 1
                                else f"{minutes:,} minutes") if rest else ""
    message = FALLBACK.format(legacy=len(idents) - rest, rest=tail)
    ctx.warnings.append(message)
    ctx.say(message)


def _result(ctx: RunContext, mode: Mode, before: int | None, after: int | None, *,
            resumed: bool) -> RunResult:
    stats = ctx.client.stats
    outcomes = {i.key: ctx.outcomes[i.key] for i in ctx.plan.identities if i.key in ctx.outcomes}
    missing = [i for i in ctx.plan.identities if i.key not in outcomes]
    outcomes |= {i.key: _unfinished(i) for i in missing}
    ctx.tick(force=True)
    workflows = ctx.journal.workflows(ctx.run_id)
    return RunResult(
        mode=mode, outcomes=outcomes, workflows=workflows,
        requests=stats.requests, retries=stats.retries, rate_limited=stats.rate_limited,
        credits_reserved=_reserved(mode, outcomes, workflows), balance_before=before,
        balance_after=after, warnings=tuple(ctx.warnings), resumed=resumed,
    )


def _reserved(mode: Mode, outcomes: Mapping[str, Outcome],
              workflows: Sequence[WorkflowRecord]) -> int:
    """What the API reserved for the run: each workflow's reservation, once. A company lookup
    settles in its own call (reserved = charged, nothing refunded)."""
    if mode == "sync":
        return sum(o.credits for o in outcomes.values())
    return sum(w.credits_reserved for w in workflows)


def _unfinished(ident: Identity) -> Outcome:
    return Outcome(ident.key, "failed", note=UNFINISHED)
