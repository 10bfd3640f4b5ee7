"""Bulk strategy (person): import the rows into a list, one quoted bulk run, read the list back.

    create list -> csv-import in chunks (<= 500 rows, <= 140 KB, no dispatch, idempotency key per
    chunk) -> POST /credits/estimate (enrich_list) -> POST /enrichment/bulk with the quote ->
    poll -> page the leads (500 a page) -> join back by normalised identity

Everything is journaled the moment it exists (list id, each chunk, the quote as intent before the
paid call, the workflow id after it), so a rerun continues where the last one stopped. A bulk call
whose answer was lost is resent with the same single-use quote: "already used" proves it ran.
Identities the CSV import cannot carry (a person_id alone) are left without an outcome: the
route (`plan.ROUTES["bulk"]`) sends them through the rows strategy.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence

import polars as pl

from csv_enrich import errors
from csv_enrich.api.client import Submitted, WorkflowStatus
from csv_enrich.engine.bulk_csv import COLUMNS, MAX_BYTES, chunk_bounds, chunk_text
from csv_enrich.engine.context import (
    BALANCE_NOTE,
    RunContext,
    StrategyUnavailable,
    paid_elsewhere,
    workflow_record,
)
from csv_enrich.engine.join_columns import IDENTITY_COLUMNS, join_frame
from csv_enrich.engine.readback import found_column, joined_outcomes, read_back
from csv_enrich.engine.rows import ensure_list, lost_workflow, read_list
from csv_enrich.journal import BulkSent
from csv_enrich.models import Identity, Outcome, price
from csv_enrich.plan_columns import IdentityFrame

__all__ = ["MAX_BYTES", "BulkRunner", "BulkStrategy", "CsvImportDisabled"]

LOST_RUN = "the bulk run's answer was lost; results read from the list"
RESEND_TRIES = 6
MISMATCH = ("the bulk run settled {settled:,} credits but the rows add up to {rows:,} "
            "(per-row credits are worked out from what was found: email 1, phone 10)")


class CsvImportDisabled(StrategyUnavailable):
    """csv-import answered 503: the feature is off for this account (fall back to rows)."""


class BulkStrategy:
    """The bulk strategy (a `Strategy`): one list, one quoted bulk run, the list read back."""

    async def run(self, ctx: RunContext, idents: Sequence[Identity]) -> dict[str, Outcome]:
        frame = IdentityFrame.of(idents, ctx.plan.kind)
        await BulkRunner(ctx, frame).run()
        outcomes = ctx.outcomes
        return {o.key: o for k in frame.key_column() if (o := outcomes.get(k)) is not None}


class BulkRunner:
    """Runs the bulk strategy over what of `idents` a CSV import can carry, on their columns:
    an `Identity` is built for none of them (`_collect` reads the chosen ones back)."""

    def __init__(self, ctx: RunContext, idents: Sequence[Identity]) -> None:
        self.ctx = ctx
        self.idents = IdentityFrame.of(idents, ctx.plan.kind)
        self.price = price("person", ctx.etype)
        self.list_id = ""
        self.refusal = BALANCE_NOTE  # why the bulk run was not sent, if it was not
        self.reserved = 0  # what the settled bulk workflow reserved

    async def run(self) -> None:
        """Bulk-enrich what can be imported (what the journal knows ended is taken as it is)."""
        ctx = self.ctx
        done = {k: i.outcome for k, i in ctx.journal.items(ctx.run_id).items() if i.outcome}
        bulk = self.idents.importable_only().without(done)
        if done:
            ctx.outcomes.update((k, done[k]) for k in self.idents.only(done).key_column())
        if len(bulk):
            await self._bulk(self._chosen(bulk))

    def _chosen(self, bulk: IdentityFrame) -> IdentityFrame:
        """The identities this run's list holds: chosen once (what the cap leaves room for) and
        journaled, so a resume imports and joins exactly the same rows. Those left out go
        through the rows strategy, which checks the cap row by row."""
        keys = self.ctx.journal.bulk_state(self.ctx.run_id).keys
        if keys is not None:
            return bulk.only(keys)
        chosen = self._within_cap(bulk)
        self.ctx.journal.record_bulk_keys(self.ctx.run_id, chosen.key_column())
        return chosen

    def _within_cap(self, bulk: IdentityFrame) -> IdentityFrame:
        """The identities the cap and balance leave room for; the rest skipped."""
        fit = min(len(bulk), self.ctx.credits_room() // self.price)
        reason = self.ctx.room_for((fit + 1) * self.price) or ""
        self._skip(bulk.key_column().slice(fit), reason)
        return bulk.head(fit)

    def _skip(self, keys: pl.Series, note: str) -> None:
        """Those not sent (cap or balance): `skipped`, not journaled (a rerun weighs them)."""
        for key in keys:
            self.ctx.finish(Outcome(key=key, status="skipped", note=note), journal=False)

    async def _bulk(self, bulk: IdentityFrame) -> None:
        if not len(bulk):
            return
        ctx = self.ctx
        self.list_id = await ensure_list(ctx, "bulk")
        wf = ctx.journal.bulk_state(ctx.run_id).sent
        if wf is None:
            await self._import(bulk)
            wf = await self._start()
        if wf is None:  # the quote is over the balance or the cap
            self._skip(bulk.key_column(), self.refusal)
            return
        status = await self._wait(wf)
        await self._collect(bulk, status)

    async def _import(self, bulk: IdentityFrame) -> None:
        """csv-import the chunks not landed yet, each written when it is sent."""
        ctx = self.ctx
        landed = ctx.journal.chunks(ctx.run_id)
        mapping = {c: c for c in COLUMNS}
        bounds = chunk_bounds(bulk.frame)
        for idx in range(len(bounds) - 1):
            if idx in landed:
                continue
            ctx.say(f"importing rows into the run's list ({idx + 1}/{len(bounds) - 1})")
            text = chunk_text(bulk.frame, bounds[idx], bounds[idx + 1])
            try:
                result = await ctx.client.csv_import(
                    self.list_id, text, mapping, idempotency_key=f"csv-enrich-{ctx.run_id}-{idx}")
            except errors.ServerError as exc:
                if exc.code == "feature_disabled":
                    raise CsvImportDisabled(exc.message) from None
                raise
            ctx.journal.chunk_imported(ctx.run_id, idx, result.rows_imported)

    async def _start(self) -> BulkSent | None:
        """Quote and send the bulk run (intent first); the bulk run as journaled, or None."""
        ctx = self.ctx
        intent = ctx.journal.bulk_state(ctx.run_id).intent
        if intent is not None:
            resent = await self._resend(intent.quote_id)
            if resent is not None:
                return resent
        for _ in range(3):
            quote = await ctx.client.estimate_enrich_list(self.list_id, ctx.etype)
            if not quote.sufficient or quote.estimated_cost > ctx.credits_room():
                self.refusal = ctx.room_for(quote.estimated_cost) or BALANCE_NOTE
                return None
            ctx.journal.record_bulk_intent(ctx.run_id, quote.quote_id, quote.estimated_cost)
            try:
                return self._sent(await ctx.client.enrich_bulk(self.list_id, ctx.etype,
                                                               quote.quote_id))
            except errors.QuoteError as exc:
                if exc.code == "quote_already_used":
                    return self._lost()
            except (errors.ServerError, errors.TransportError) as exc:
                if isinstance(exc, errors.TransportError) and exc.code == "not_sent":
                    continue
                resent = await self._resend(quote.quote_id)
                if resent is not None:
                    return resent
            except errors.InsufficientCreditsError:
                return None
        raise errors.ServerError("The bulk run could not be started after 3 quotes. Run the "
                                 "same command again later: it resumes.")

    async def _resend(self, quote_id: str) -> BulkSent | None:
        """Send again with the same single-use quote: success, or proof that it already ran.
        None when the quote is refused as stale and the list shows no enrichment (never ran)."""
        for _ in range(RESEND_TRIES):
            try:
                return self._sent(await self.ctx.client.enrich_bulk(
                    self.list_id, self.ctx.etype, quote_id))
            except errors.QuoteError as exc:
                if exc.code == "quote_already_used" or exc.status == 409:
                    return self._lost()
                _, enriched = await self.ctx.client.list_counts(self.list_id)
                if enriched:
                    return self._lost()
                self.ctx.lost(untraced=1)  # never ran, or ran and found nobody: untold
                return None
            except (errors.ServerError, errors.TransportError):
                await asyncio.sleep(self.ctx.tuning.min_poll_s)
        raise errors.ServerError("The API did not answer the bulk run. Run the same command "
                                 "again later: it resumes without paying twice.")

    def _sent(self, sub: Submitted) -> BulkSent:
        return self.ctx.journal.record_bulk_sent(self.ctx.run_id, sub.workflow_id,
                                                 sub.credits_reserved)

    def _lost(self) -> BulkSent:
        return self.ctx.journal.record_bulk_sent(self.ctx.run_id, None, 0)

    async def _wait(self, wf: BulkSent) -> WorkflowStatus | None:
        """Poll the bulk workflow until terminal (None when its id was lost: wait on the list)."""
        ctx, tuning = self.ctx, self.ctx.tuning
        reserved = wf.reserved
        ctx.reserve(reserved)
        if wf.workflow_id is None:
            await self._wait_list()
            ctx.settle(reserved)
            return None
        workflow_id, started = wf.workflow_id, time.monotonic()
        delay = tuning.bulk_first_poll_s
        while True:
            await asyncio.sleep(delay)
            try:
                st = await ctx.client.status(workflow_id)
            except (errors.ServerError, errors.TransportError, errors.RateLimitedError):
                continue
            if st.terminal:  # recorded with the rows' outcomes (_collect), not before
                ctx.working = 0
                ctx.settle(reserved)
                self.reserved = reserved
                return st
            if time.monotonic() - started > tuning.bulk_timeout_s:
                raise errors.ServerError("The bulk run is still going at the API. Run the same "
                                         "command again later to collect it.")
            ctx.working = st.processed or 0
            ctx.say(f"bulk enrichment running at the API: {st.progress or 0}% done")
            delay = _next_delay(st, time.monotonic() - started, tuning.min_poll_s,
                                tuning.max_poll_s)

    async def _wait_list(self) -> None:
        """Without a workflow id: wait until the list's enriched count stops moving."""
        ctx, last, still = self.ctx, -1, 0
        while still < 3:
            await asyncio.sleep(ctx.tuning.lost_answer_wait_s / 3)
            _, count = await ctx.client.list_counts(self.list_id)
            still = still + 1 if count == last else 0
            last = count

    async def _collect(self, bulk: IdentityFrame, status: WorkflowStatus | None) -> None:
        ctx = self.ctx
        if status is not None and status.status != "completed":
            note = status.refund_message or f"the bulk run ended {status.status}"
            ctx.record_workflow(workflow_record(status, self.reserved))
            ctx.finish_many(Outcome(k, "failed", note=note) for k in bulk.key_column())
            return
        ctx.say("reading the enriched leads back")
        keys, wf_id = bulk.key_column().to_list(), status.workflow_id if status else None
        lost_note = LOST_RUN if status is None else None
        joined = await read_back(ctx, self.list_id, bulk.frame.select(IDENTITY_COLUMNS))
        if joined is not None:
            outcomes, credits = joined.outcomes(keys, lost_note, wf_id), joined.credits
            del joined  # the outcomes hold what they need (before they are kept: less memory)
        else:  # a lead id twice (never seen): the list again, whole, for join_in_order
            leads = await read_list(ctx, self.list_id)
            credits = found_column(ctx.etype, leads.frame)
            outcomes = joined_outcomes(keys, join_frame(bulk.frame.select(IDENTITY_COLUMNS),
                                                        leads), leads, credits, lost_note, wf_id)
            del leads
        if status is None:  # the workflow's id was lost with the answer: record what it did
            intent = ctx.journal.bulk_state(ctx.run_id).intent
            cost = intent.cost if intent is not None else 0
            found = int(credits.sum())
            lost = lost_workflow(ctx.run_id, f"bulk {self.list_id}", cost, found)
            owner = ctx.record_workflow(lost)
        else:
            owner = ctx.record_workflow(workflow_record(status, self.reserved))
        if owner is not None:  # a later run collected this workflow and counts its credits
            outcomes = [paid_elsewhere(o, owner) for o in outcomes]
        ctx.finish_many(outcomes)
        ctx.say("")
        settled = status.credits_charged if status else None
        if settled is not None and settled != sum(o.credits for o in outcomes):
            ctx.warnings.append(MISMATCH.format(settled=settled,
                                                rows=sum(o.credits for o in outcomes)))


def _next_delay(st: WorkflowStatus, elapsed: float, low: float, high: float) -> float:
    """Poll again about when the run should end, judged by its progress so far."""
    done = (st.progress or 0) / 100
    if done <= 0:
        return min(high, max(low, elapsed))
    remaining = elapsed * (1 - done) / done
    return min(high, max(low, remaining * 0.8))
