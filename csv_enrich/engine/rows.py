"""Rows strategy (person): one POST /enrichment/person per identity, polls timed to finish once.

A fixed set of workers takes the next job: a poll that is due, else a submission. Polls are
scheduled by the expected completion time (learnt as runs finish) with growing intervals, so
polls per row stay near one. Every submission is journaled (intent, then the workflow id); a
submission whose answer was lost is resolved by reading the run's list before anything is resent.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
import time
from collections import deque
from collections.abc import Coroutine, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from csv_enrich import errors
from csv_enrich.api.client import Lead, WorkflowStatus
from csv_enrich.engine.context import (
    BALANCE_NOTE,
    RunContext,
    found_credits,
    paid_elsewhere,
    run_workers,
    skipped,
    workflow_record,
)
from csv_enrich.engine.join import LeadIndex
from csv_enrich.engine.leads import LeadFrame
from csv_enrich.models import Identity, Outcome, WorkflowRecord, price

RECOVERED = "recovered from the lead list (the API's answer was lost)"
UNMATCHED = ("the API's answer was lost and its lead cannot be told apart in the run's list; "
             "not sent again so it is not paid twice")
UNTOLD = (UNMATCHED + "; this row carries the {n:,} credit(s) the API charged for the lost "
          "answers of {rows} rows whose leads cannot be told apart (the others point here)")
GONE = "the API no longer knows workflow {}; check the balance before enriching this row again"
STILL_RUNNING = "still running at the API; run the same command again to collect it"
MAX_RESOLVE_ROUNDS = 5
LOST_ID = "(id lost with the answer) "


@dataclass(order=True)
class _Poll:
    due: float
    seq: int
    key: str = field(compare=False)
    workflow_id: str = field(compare=False)
    reserved: int = field(compare=False)
    started: float = field(compare=False)
    polls: int = field(default=0, compare=False)


async def read_list(ctx: RunContext, list_id: str) -> LeadFrame:
    """Every lead of a list (pages of 500) as columns: through the JSON export, which carries
    email_status and the domain, else (no export:read scope) the leads pages."""
    try:
        return await _read_pages(ctx, list_id, export=True)
    except (errors.AuthError, errors.RequestRejectedError, errors.NotFoundError):
        return await _read_pages(ctx, list_id, export=False)


async def read_index(ctx: RunContext, list_id: str) -> LeadIndex:
    """Every lead of a list, as `Lead`s indexed for joining one identity at a time."""
    return (await read_list(ctx, list_id)).index()


async def _read_pages(ctx: RunContext, list_id: str, *, export: bool) -> LeadFrame:
    parts, cursor = [], None
    while True:
        page = await ctx.client.lead_columns(list_id, export=export, cursor=cursor, limit=500)
        parts.append(LeadFrame.part(page))  # each page's Python values freed as it is read
        cursor = page.cursor
        if not cursor or not page.count:
            return LeadFrame.of_parts(parts)


async def ensure_list(ctx: RunContext, role: str) -> str:
    """The run's list for `role` (create is idempotent by name, so a lost answer is harmless)."""
    list_id = ctx.journal.list_id(ctx.run_id, role)
    if list_id is None:
        list_id = await ctx.client.create_list(f"csv-enrich {ctx.run_id} {role}")
        ctx.journal.record_list(ctx.run_id, role, list_id)
    return list_id


def status_outcome(ctx: RunContext, key: str, st: WorkflowStatus) -> Outcome:
    """The Outcome of a settled single-person workflow."""
    charged = st.credits_charged
    if st.status != "completed":
        note = st.refund_message or f"the enrichment workflow ended {st.status}"
        return Outcome(key, "failed", note=note, credits=charged or 0, workflow_id=st.workflow_id)
    if st.result is None:
        return Outcome(key, "not_found", credits=charged or 0, workflow_id=st.workflow_id)
    credits = charged if charged is not None else found_credits(ctx.etype, st.result)
    return Outcome(key, "enriched", credits=credits, data=dict(st.result),
                   workflow_id=st.workflow_id)


class RowsStrategy:
    """The rows strategy (a `Strategy`): one call per person, on `ctx.workers` workers."""

    async def run(self, ctx: RunContext, idents: Sequence[Identity]) -> dict[str, Outcome]:
        await RowsRunner(ctx, idents, workers=ctx.workers).run()
        return ctx.outcomes_of(idents)


class RowsRunner:
    """Runs the rows strategy over `idents` on `workers` concurrent workers."""

    def __init__(self, ctx: RunContext, idents: Iterable[Identity], *, workers: int = 8) -> None:
        self.ctx = ctx
        self.idents = {i.key: i for i in idents}
        self.workers = max(1, workers)
        self.queue: deque[Identity] = deque()
        self.polls: list[_Poll] = []
        self.unresolved: dict[str, float] = {}  # key -> when the lost submission was sent
        self.busy = 0
        self.waiting_for_slot = 0
        self.expected = ctx.tuning.first_poll_s
        self.stop_note: str | None = None
        self.claimed: set[str] = set()  # lead ids known to belong to answered submissions
        self.list_id = ""
        self._seq = itertools.count()
        self.price = price("person", ctx.etype)

    async def run(self) -> None:
        """Enrich every identity (resuming what the journal knows), then resolve lost answers."""
        self._load_journal()
        if self.queue or self.unresolved:
            self.list_id = await ensure_list(self.ctx, "rows")
        for _ in range(MAX_RESOLVE_ROUNDS):
            await self._drain()
            if not self.unresolved:
                return
            await self._resolve()
        for key in list(self.unresolved):
            self.ctx.finish(Outcome(key, "failed", note=STILL_RUNNING), journal=False)

    def _claim(self, lead_id: str) -> None:
        self.claimed.add(lead_id)
        self.ctx.journal.claim_lead(self.ctx.run_id, lead_id)

    def _load_journal(self) -> None:
        self.claimed = set(self.ctx.journal.claimed_leads(self.ctx.run_id))
        items = self.ctx.journal.items(self.ctx.run_id)
        now = time.monotonic()
        for key, ident in self.idents.items():
            item = items.get(key)
            if item is not None and item.outcome is not None:
                self.ctx.outcomes[key] = item.outcome
            elif item is not None and item.workflow_id:
                self.ctx.reserve(item.reserved)
                self._schedule(key, item.workflow_id, item.reserved, now, now)
            elif item is not None and item.intent_at is not None:
                self.ctx.reserve(item.reserved)
                self.unresolved[key] = item.intent_at
            else:
                self.queue.append(ident)

    # -- the worker pool -------------------------------------------------------------------

    async def _drain(self) -> None:
        await run_workers(self._worker, self.workers)

    async def _worker(self) -> None:
        """Wait for a rate-limit slot only when there is work for it, then choose the job at
        the moment it may be sent: a due poll first, else the next submission."""
        while self.queue or self.polls or self.busy:
            now = time.monotonic()
            if self._ready(now) <= self.waiting_for_slot:
                nap = self.polls[0].due - now if self.polls else 0.05
                await asyncio.sleep(min(max(nap, 0.001), 0.05))
                continue
            self.waiting_for_slot += 1
            try:
                await self.ctx.client.take_slot()
            finally:
                self.waiting_for_slot -= 1
            job = self._pick(time.monotonic())
            if job is None:
                self.ctx.client.release_slot()
                continue
            self.busy += 1
            try:
                await job
            finally:
                self.busy -= 1

    def _ready(self, now: float) -> int:
        """How many jobs could be sent now: submissions waiting plus polls that are due."""
        return len(self.queue) + sum(1 for p in self.polls if p.due <= now)

    def _pick(self, now: float) -> Coroutine[Any, Any, None] | None:
        if self.polls and self.polls[0].due <= now:
            return self._poll(heapq.heappop(self.polls))
        if self.queue:
            return self._submit(self.queue.popleft())
        return None

    def _schedule(self, key: str, wf: str, reserved: int, started: float, due: float,
                  polls: int = 0) -> None:
        heapq.heappush(self.polls, _Poll(due, next(self._seq), key, wf, reserved, started, polls))

    # -- submissions -----------------------------------------------------------------------

    async def _submit(self, ident: Identity) -> None:
        ctx = self.ctx
        reason = self.stop_note or ctx.room_for(self.price)
        if reason is not None:
            ctx.finish(skipped(ident, reason), journal=False)
            return
        ctx.reserve(self.price)
        ctx.journal.intent(ctx.run_id, ident.key, self.price)
        sent = time.time()
        try:
            sub = await ctx.client.enrich_person(self.list_id, ident, ctx.etype)
        except errors.ApiError as exc:
            self._refused(ident, exc, sent)
            return
        ctx.journal.submitted(ctx.run_id, ident.key, sub.workflow_id, sub.credits_reserved)
        ctx.in_flight += sub.credits_reserved - self.price
        now = time.monotonic()
        self._schedule(ident.key, sub.workflow_id, sub.credits_reserved, now, now + self.expected)

    def _refused(self, ident: Identity, exc: errors.ApiError, sent: float) -> None:
        """A submission that raised: lost (resolve later), refused (nothing paid), or fatal."""
        ctx = self.ctx
        if _answer_lost(exc):
            self.unresolved[ident.key] = sent
            return
        ctx.settle(self.price)
        ctx.journal.clear_intent(ctx.run_id, ident.key)
        if isinstance(exc, errors.InsufficientCreditsError):
            self.stop_note = BALANCE_NOTE
            ctx.finish(skipped(ident, BALANCE_NOTE), journal=False)
        elif isinstance(exc, errors.AuthError):
            raise exc
        elif isinstance(exc, errors.RequestRejectedError):
            ctx.finish(Outcome(ident.key, "failed", note=exc.message))
        else:  # 429 after retries, or never sent: nothing happened; a rerun will send it
            ctx.finish(Outcome(ident.key, "failed", note=exc.message), journal=False)

    # -- polls -----------------------------------------------------------------------------

    async def _poll(self, p: _Poll) -> None:
        tuning = self.ctx.tuning
        try:
            st = await self.ctx.client.status(p.workflow_id)
        except (errors.ServerError, errors.TransportError, errors.RateLimitedError):
            st = None
        except errors.NotFoundError:
            self.ctx.settle(p.reserved)
            self.ctx.finish(Outcome(p.key, "failed", note=GONE.format(p.workflow_id)))
            return
        now = time.monotonic()
        if st is not None and st.terminal:
            self._learn(p, now, finished=True)
            self._settled(p, st)
        elif now - p.started > tuning.poll_timeout_s:
            self.ctx.settle(p.reserved)
            self.ctx.finish(Outcome(p.key, "failed", note=STILL_RUNNING), journal=False)
        else:
            if st is not None:
                self._learn(p, now, finished=False)
            interval = max(tuning.min_poll_s, self.expected * 0.5) * 1.5**p.polls
            due = now + min(tuning.max_poll_s, interval)
            self._schedule(p.key, p.workflow_id, p.reserved, p.started, due, p.polls + 1)

    def _learn(self, p: _Poll, now: float, *, finished: bool) -> None:
        """Adapt the expected completion time from first polls: up (past what was seen) when a
        run was still going; down a little when one had finished and the poll went out on time
        (a poll held back by the rate limit says nothing about how early it could have been)."""
        if p.polls:
            return
        elapsed = now - p.started
        if not finished:
            self.expected = max(self.expected * 1.25, elapsed * 1.05)
        elif elapsed <= self.expected * 1.5:
            self.expected *= 0.985  # ~6% of first polls early at equilibrium with 1.25 up
        low, high = self.ctx.tuning.min_poll_s / 10, self.ctx.tuning.max_poll_s
        self.expected = min(high, max(low, self.expected))

    def _settled(self, p: _Poll, st: WorkflowStatus) -> None:
        if st.lead_id:
            self._claim(st.lead_id)
        self.ctx.settle(p.reserved)
        owner = self.ctx.record_workflow(workflow_record(st, p.reserved))
        outcome = status_outcome(self.ctx, p.key, st)
        self.ctx.finish(outcome if owner is None else paid_elsewhere(outcome, owner))

    # -- lost answers ----------------------------------------------------------------------

    async def _resolve(self) -> None:
        """Read the list: a lead that is there was submitted (take its data); else resend."""
        wait = self.ctx.tuning.lost_answer_wait_s
        latest = max(self.unresolved.values())
        await asyncio.sleep(max(0.0, min(wait, latest + wait - time.time())))
        self.ctx.say("checking the run's lead list for answers the API lost")
        index = await read_index(self.ctx, self.list_id)
        unmatched = []
        for key, sent in list(self.unresolved.items()):
            lead = index.match(self.idents[key])
            if lead is None:
                unmatched.append(key)
                continue
            self._claim(lead.lead_id)
            credits = found_credits(self.ctx.etype, lead.data)
            if credits or time.time() - sent > wait:
                self._resolved(key, lead.data, credits)
        self._unmatched(unmatched, [ld for ld in index.order if ld.lead_id not in self.claimed])
        self.ctx.say("")

    def _unmatched(self, keys: list[str], free: list[Lead]) -> None:
        """Lost submissions no lead shares a key with: none in the list -> never happened (the
        API shows no trace of them), send again; one of each -> that lead; as many free leads,
        all of which found nothing -> each not found; otherwise they may have happened: never
        resend (a lead may still be running, and a resend could then pay twice), and each free
        lead is a workflow one of them started (in the report's list, whoever's it was)."""
        if not keys:
            return
        if not free:
            self.ctx.lost(untraced=len(keys))
            for key in keys:
                self._resolved(key, None, 0)
        elif len(keys) == len(free) == 1:
            lead = free[0]
            self._claim(lead.lead_id)
            self._resolved(keys[0], lead.data, found_credits(self.ctx.etype, lead.data))
        elif len(keys) == len(free) and not any(found_credits(self.ctx.etype, ld.data)
                                                for ld in free):
            for key, lead in zip(keys, free, strict=True):  # all found nothing: whichever is
                self._claim(lead.lead_id)  # whose, each is not_found at 0 credits
                self._resolved(key, {}, 0)
        else:
            self._untold(keys, free)

    def _untold(self, keys: list[str], free: list[Lead]) -> None:
        """Lost submissions whose leads cannot be told apart: each free lead is a workflow one
        of them started (listed); what those charged is carried by the group's first row (in
        the file's order), the others point to it, so the row column adds up to the run's
        charge. No row gets data (whose it is cannot be told) and none is sent again."""
        cost = 0
        for lead in free:
            self._claim(lead.lead_id)
            credits = found_credits(self.ctx.etype, lead.data)
            cost += credits
            self.ctx.record_workflow(lost_workflow(
                self.ctx.run_id, f"lead {lead.lead_id}", self.price, credits))
        order = {i.key: n for n, i in enumerate(self.ctx.plan.identities)}
        keys = sorted(keys, key=lambda k: order.get(k, len(order)))
        for key in keys:
            del self.unresolved[key]
            self.ctx.settle(self.price)
            if key == keys[0] and cost:
                self.ctx.finish(Outcome(key, "failed", credits=cost, note=UNTOLD.format(
                    n=cost, rows=len(keys))))
            else:
                self.ctx.finish(Outcome(key, "failed", note=UNMATCHED,
                                        credits_on=keys[0] if cost else None))

    def _resolved(self, key: str, data: Mapping[str, str] | None, credits: int) -> None:
        del self.unresolved[key]
        self.ctx.settle(self.price)
        if data is None:  # never happened: send it again
            self.ctx.journal.clear_intent(self.ctx.run_id, key)
            self.queue.append(self.idents[key])
            return
        self.ctx.record_workflow(lost_workflow(self.ctx.run_id, key, self.price, credits))
        if credits:
            self.ctx.finish(Outcome(key, "enriched", note=RECOVERED, credits=credits,
                                    data=dict(data)))
        else:
            self.ctx.finish(Outcome(key, "not_found", note=RECOVERED))


def lost_workflow(run_id: str, what: str, reserved: int, charged: int) -> WorkflowRecord:
    """The record of a workflow whose id was lost with the API's answer: it reserved the price
    and settled what was found (pay for results), the rest refunded. Named after the run too:
    another run losing the answer for the same person has a workflow of its own."""
    return WorkflowRecord(workflow_id=f"{LOST_ID}{what} (run {run_id})", status="completed",
                          credits_reserved=reserved, credits_charged=charged,
                          credits_refunded=max(0, reserved - charged))


def _answer_lost(exc: errors.ApiError) -> bool:
    """True when a paid call may have been carried out although no answer came back."""
    if isinstance(exc, errors.TransportError):
        return exc.code != "not_sent"
    return isinstance(exc, errors.ServerError)
