"""Legacy bulk strategy (person): the legacy API's bulk endpoint, 250 people a call.

For accounts whose CSV import is switched off (503, the default on real accounts; CONTRACT.md
§11 #9) or with --mode legacy. People with a LinkedIn URL, or first + last name + company name or
domain, go as contacts in batches of at most 250 (POST /api/v1/public/enrich/bulk; the email sent
along when the row has one); each batch is polled through GET /enrich/status?workflow_id= (one
request per batch per poll, spaced by what the batches have taken so far) and each contact's
result is joined back by its task id. The rest (an email or a person id alone) go through the
rows strategy at the same time.

Money (assumptions 23-26): nothing is reserved, so before each batch the most it can cost is
checked against --max-credits and the balance, counting what batches in flight may still cost.
Each row's credits are worked out from its result at the documented prices (email 1, phone 10).
Each batch is journaled before it is sent and its task ids the moment they exist. A batch whose
answer was lost is never sent again blindly: the protected list the legacy API files contacts
in is read first; a contact missing from it proves the batch never started (every contact of a
submission lands there), so it is sent again. Contacts all in the list prove nothing (an earlier
run may have put them there, and a lead row carries no time to compare with the batch's); then
the balance decides, once nothing else of the run is moving: it fell by exactly what the list
says the batch cost (it ran: the results are read from the list) or by nothing (it never ran:
it is sent again; a batch that would have cost nothing is sent again too, counted as untraced:
had it run, it found nothing). When it cannot tell (another run of the account meanwhile, work
of the run still in flight), the batch is reported undecided: no credits claimed, nothing
resent, a warning.
"""

from __future__ import annotations

import asyncio
import itertools
import time
from collections import deque
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from csv_enrich import errors
from csv_enrich.api.client import LegacyStatus
from csv_enrich.api.legacy_wire import MAX_CONTACTS, LegacyResult, can_take, contact
from csv_enrich.engine.context import (
    BALANCE_NOTE,
    RunContext,
    found_credits,
    skipped,
)
from csv_enrich.engine.join import LeadIndex
from csv_enrich.engine.rows import RowsRunner, read_index
from csv_enrich.journal import LegacyBatch
from csv_enrich.models import Identity, Outcome, RowStatus, WorkflowRecord, price

TASK_FAILED = "the legacy enrichment task failed"
ENDED_FIRST = "the legacy run ended {status} before this contact's task finished"
GONE = "the API no longer knows legacy run {}; check the balance before enriching this row again"
RECOVERED = "the API's answer was lost; results read from the legacy protected list"
LOST_BATCH = "legacy batch {n} of run {run} (id lost with the answer)"
STILL_RUNNING = "still running at the API; run the same command again to collect it"
BALANCE_MISMATCH = ("the legacy results add up to {derived:,} credits for this run, but the "
                    "balance fell by {fell:,} (from {before:,} to {after:,}); check the account's "
                    "usage (another run of the account, or a price other than documented)")
UNDECIDED = ("the API's answer to legacy batch {n} was lost and the API cannot tell whether it "
             "ran (its people were all in the protected list already); nothing claimed and "
             "nothing resent for this row")
UNDECIDED_WARNING = ("legacy batch {n} ({size:,} people): the API's answer was lost and neither "
                     "the protected list nor the balance tells whether it ran; no credits are "
                     "claimed for it; if it did run it cost {cost:,} credit(s), which the "
                     "balance then shows")
MAX_RESOLVE_ROUNDS = 5
MAX_UNDECIDED = 10  # lost batches weighed against the balance at once (2**n combinations)


def takes(idents: Iterable[Identity]) -> list[Identity]:
    """The identities the legacy bulk endpoint can take."""
    return [i for i in idents if can_take(i)]


@dataclass
class _Batch:
    """One legacy submission: its keys in contact order, and once answered its ids."""

    n: int
    keys: list[str]
    at: float  # when it was sent (time.time(), for a lost answer's wait)
    workflow_id: str | None = None
    task_ids: list[str] = field(default_factory=list)
    started: float = 0.0  # time.monotonic() when the answer came (or the run resumed)
    due: float = 0.0
    open: set[str] = field(default_factory=set)  # keys whose result is not in yet

    def record(self) -> LegacyBatch:
        return LegacyBatch(self.n, tuple(self.keys), self.at, self.workflow_id,
                           tuple(self.task_ids))


class LegacyStrategy:
    """The legacy bulk strategy (a `Strategy`): batches of 250 to the legacy endpoint, the rows
    strategy side by side for what it cannot take; after the run, its derived credits are
    checked against what the balance fell by."""

    async def run(self, ctx: RunContext, idents: Sequence[Identity]) -> dict[str, Outcome]:
        runner = LegacyRunner(ctx, idents, workers=ctx.workers)
        ctx.after_run.append(lambda after: balance_check(ctx, runner, after))
        await runner.run()
        return ctx.outcomes_of(idents)


class LegacyRunner:
    """Runs the legacy bulk strategy over `idents` (rows strategy for what it cannot take)."""

    def __init__(self, ctx: RunContext, idents: Iterable[Identity], *, workers: int = 8) -> None:
        self.ctx = ctx
        self.idents = {i.key: i for i in idents}
        self.workers = workers
        self.price = price("person", ctx.etype)
        self.queue: deque[Identity] = deque()
        self.active: dict[int, _Batch] = {}
        self.lost: list[_Batch] = []
        self.stop_note: str | None = None
        self.per_contact_s: float | None = None  # learnt from finished batches
        self.next_n = 0
        self.fresh = True  # no batch of this run existed before this invocation
        self.derived = 0  # credits worked out from results in this invocation
        self.rows_done = asyncio.Event()  # the rows strategy's part has ended

    async def run(self) -> None:
        """Legacy bulk for what it can take, the rows strategy for the rest, side by side."""
        rest = [i for i in self.idents.values() if not can_take(i)]
        async with asyncio.TaskGroup() as group:
            group.create_task(self._legacy())
            group.create_task(self._rows(rest))

    async def _rows(self, rest: list[Identity]) -> None:
        try:
            if rest:
                await RowsRunner(self.ctx, rest, workers=self.workers).run()
        finally:
            self.rows_done.set()

    async def _legacy(self) -> None:
        self._load()
        for _ in range(MAX_RESOLVE_ROUNDS):
            await self._drive()
            if not self.lost:
                return
            await self._resolve()
        for batch in self.lost:
            self._end(batch, [Outcome(k, "failed", note=STILL_RUNNING) for k in batch.open],
                      journal=False)

    # -- the journal -----------------------------------------------------------------------

    def _load(self) -> None:
        ctx = self.ctx
        done = {k: i.outcome for k, i in ctx.journal.items(ctx.run_id).items() if i.outcome}
        ctx.outcomes.update((k, o) for k, o in done.items() if k in self.idents)
        self.next_n, records = ctx.journal.legacy_batches(ctx.run_id)
        sent: set[str] = set()
        for rec in records:
            self.fresh = False
            batch = _Batch(rec.n, list(rec.keys), rec.at, rec.workflow_id, list(rec.task_ids),
                           time.monotonic())
            sent.update(batch.keys)
            batch.open = {k for k in batch.keys if k not in done}
            if batch.open:
                ctx.in_flight += len(batch.open) * self.price
                self._track(batch)
        self.queue.extend(i for i in takes(self.idents.values())
                          if i.key not in done and i.key not in sent)

    def _track(self, batch: _Batch) -> None:
        if batch.workflow_id is None:
            self.lost.append(batch)
        else:
            batch.due = batch.started
            self.active[batch.n] = batch

    # -- the loop --------------------------------------------------------------------------

    async def _drive(self) -> None:
        """Send batches while the cap leaves room, poll the batches in flight when due."""
        while self.queue or self.active:
            size = self._next_size()
            if size:
                await self._submit([self.queue.popleft() for _ in range(size)])
                continue
            if self.queue and not self.active:
                self._skip_queue(self.stop_note or self.ctx.room_for(self.price) or BALANCE_NOTE)
                continue
            batch = min(self.active.values(), key=lambda b: b.due)
            wait = batch.due - time.monotonic()
            if wait > 0:
                await asyncio.sleep(wait)
            await self._poll(batch)

    def _next_size(self) -> int:
        """How many contacts the next batch takes: up to 250, as many as the cap and balance
        leave room for at the type's highest price; 0 to wait for batches in flight first
        (their results usually cost less than the most they could)."""
        if not self.queue or self.stop_note:
            return 0
        want = min(MAX_CONTACTS, len(self.queue))
        fit = min(want, self.ctx.credits_room() // self.price)
        return 0 if fit < want and self.active else fit

    def _skip_queue(self, reason: str) -> None:
        while self.queue:
            self.ctx.finish(skipped(self.queue.popleft(), reason), journal=False)

    # -- submissions -----------------------------------------------------------------------

    async def _submit(self, idents: list[Identity]) -> None:
        ctx = self.ctx
        batch = _Batch(self.next_n, [i.key for i in idents], time.time())
        batch.open = set(batch.keys)
        self.next_n += 1
        ctx.journal.record_legacy_batch(ctx.run_id, batch.record())  # intent first
        ctx.in_flight += len(idents) * self.price
        ctx.say(f"sending {len(idents):,} people to the legacy bulk endpoint "
                f"(batch {batch.n + 1})")
        try:
            sub = await ctx.client.legacy_bulk([contact(i) for i in idents], ctx.etype)
        except errors.ApiError as exc:
            self._refused(batch, idents, exc)
            return
        batch.workflow_id, batch.task_ids = sub.workflow_id, list(sub.task_ids)
        ctx.journal.record_legacy_batch(ctx.run_id, batch.record())
        batch.started = time.monotonic()
        batch.due = batch.started + self._first_wait(len(idents))
        self.active[batch.n] = batch
        ctx.say("")

    def _refused(self, batch: _Batch, idents: list[Identity], exc: errors.ApiError) -> None:
        """A submission that raised: lost (resolve later), refused (nothing started), fatal."""
        ctx = self.ctx
        if _answer_lost(exc):
            self.lost.append(batch)
            return
        ctx.in_flight -= len(idents) * self.price
        ctx.journal.forget_legacy_batch(ctx.run_id, batch.n)
        if isinstance(exc, errors.AuthError):
            raise exc
        if isinstance(exc, errors.InsufficientCreditsError):
            self.stop_note = BALANCE_NOTE
            self.queue.extendleft(reversed(idents))
            return
        journal = isinstance(exc, errors.RequestRejectedError)  # else a rerun sends it again
        for ident in idents:
            ctx.finish(Outcome(ident.key, "failed", note=exc.message), journal=journal)

    def _first_wait(self, size: int) -> float:
        """When to first poll a batch: about when batches of its size have finished so far."""
        tuning = self.ctx.tuning
        if self.per_contact_s is None:
            return tuning.bulk_first_poll_s
        return min(tuning.max_poll_s, max(tuning.min_poll_s, self.per_contact_s * size))

    # -- polls -----------------------------------------------------------------------------

    async def _poll(self, batch: _Batch) -> None:
        ctx, tuning = self.ctx, self.ctx.tuning
        assert batch.workflow_id is not None
        try:
            st = await ctx.client.legacy_status(batch.workflow_id)
        except (errors.ServerError, errors.TransportError, errors.RateLimitedError):
            batch.due = time.monotonic() + tuning.min_poll_s * 4
            return
        except errors.NotFoundError:
            note = GONE.format(batch.workflow_id)
            self._end(batch, [Outcome(k, "failed", note=note) for k in batch.open])
            return
        self._take(batch, st)
        elapsed = time.monotonic() - batch.started
        if st.terminal or not batch.open:
            note = ENDED_FIRST.format(status=st.status)
            self._end(batch, [Outcome(k, "failed", note=note, workflow_id=batch.workflow_id)
                              for k in batch.open],
                      status=st.status if st.terminal else "completed")
            self._learn(elapsed, len(batch.keys))
        elif elapsed > tuning.bulk_timeout_s:
            self._end(batch, [Outcome(k, "failed", note=STILL_RUNNING) for k in batch.open],
                      journal=False)
        else:
            batch.due = time.monotonic() + self._next_delay(batch, elapsed)
            ctx.say(f"legacy bulk running at the API: {len(self.active)} batch(es) in flight")

    def _take(self, batch: _Batch, st: LegacyStatus) -> None:
        """Finish the rows whose tasks ended (joined back by task id)."""
        by_task: Mapping[str, LegacyResult] = {r.task_id: r for r in st.results}
        outcomes = []
        for key, task_id in zip(batch.keys, batch.task_ids, strict=False):
            result = by_task.get(task_id)
            if key in batch.open and result is not None and result.ended:
                outcomes.append(self._outcome(key, result, batch.workflow_id))
        self._finish(batch, outcomes)

    def _outcome(self, key: str, result: LegacyResult, workflow_id: str | None) -> Outcome:
        if result.status == "failed":
            return Outcome(key, "failed", note=TASK_FAILED, workflow_id=workflow_id)
        credits = found_credits(self.ctx.etype, result.data)
        state: RowStatus = "enriched" if credits else "not_found"
        return Outcome(key, state, credits=credits, data=dict(result.data) if credits else {},
                       workflow_id=workflow_id)

    def _finish(self, batch: _Batch, outcomes: list[Outcome], *, journal: bool = True) -> None:
        if not outcomes:
            return
        ctx = self.ctx
        for outcome in outcomes:
            batch.open.discard(outcome.key)
            self.derived += outcome.credits
        ctx.in_flight = max(0, ctx.in_flight - len(outcomes) * self.price)
        mine = [o for o in outcomes if o.key in self.idents]
        if journal:
            ctx.finish_many(mine)
        else:
            for outcome in mine:
                ctx.finish(outcome, journal=False)

    def _end(self, batch: _Batch, rest: list[Outcome], *, status: str = "failed",
             journal: bool = True) -> None:
        """The batch is over: finish what is still open, record the batch's workflow."""
        self._finish(batch, rest, journal=journal)
        self.active.pop(batch.n, None)
        if batch.workflow_id is not None:
            charged = sum(o.credits for k in batch.keys if (o := self.ctx.outcomes.get(k))
                          and o.workflow_id == batch.workflow_id)
            self.ctx.record_workflow(WorkflowRecord(
                workflow_id=batch.workflow_id, status=status, credits_reserved=0,
                credits_charged=charged, credits_refunded=0, refund_status="not_applicable"))

    def _learn(self, elapsed: float, size: int) -> None:
        seen = elapsed / max(1, size)
        self.per_contact_s = seen if self.per_contact_s is None else (
            0.5 * self.per_contact_s + 0.5 * seen)

    def _next_delay(self, batch: _Batch, elapsed: float) -> float:
        """Poll again about when the batch should end, judged by its share of results in."""
        low, high = self.ctx.tuning.min_poll_s, self.ctx.tuning.max_poll_s
        done = 1 - len(batch.open) / max(1, len(batch.keys))
        if done <= 0:
            return min(high, max(low, elapsed))
        return min(high, max(low, elapsed * (1 - done) / done * 0.8))

    # -- lost answers ----------------------------------------------------------------------

    async def _resolve(self) -> None:
        """Find out what each lost submission did before anything is sent again."""
        lost, self.lost = self.lost, []
        wait = self.ctx.tuning.lost_answer_wait_s
        latest = max(b.at for b in lost)
        await asyncio.sleep(max(0.0, min(wait, latest + wait - time.time())))
        self.ctx.say("checking the legacy protected list for answers the API lost")
        list_id = await self.ctx.client.legacy_list()
        index = await read_index(self.ctx, list_id) if list_id else None
        present = []
        for batch in lost:
            idents = [self.idents[k] for k in batch.keys if k in self.idents]
            if index is None or any(index.match(i) is None for i in idents):
                self._never_started(batch)
            else:
                present.append(batch)
        if present and list_id:
            await self._weigh(present, list_id)
        self.ctx.say("")

    def _never_started(self, batch: _Batch) -> None:
        """The submission never started (some contact is not in the protected list, where it
        files every contact first; or the balance shows it), so its people may be sent again."""
        ctx = self.ctx
        ctx.in_flight = max(0, ctx.in_flight - len(batch.open) * self.price)
        ctx.journal.forget_legacy_batch(ctx.run_id, batch.n)
        self.queue.extendleft(reversed([self.idents[k] for k in batch.keys
                                        if k in self.idents and k in batch.open]))

    async def _weigh(self, batches: list[_Batch], list_id: str) -> None:
        """Every contact of these lost batches is in the protected list, which an earlier run
        may explain as well: once the rest of the run and the list are still, the balance
        tells which of them ran (it fell by exactly what they cost), else they stay undecided."""
        await self.rows_done.wait()
        await _wait_still(self.ctx, list_id)
        fell = await self._fell(batches)
        index = await read_index(self.ctx, list_id)
        costs = [self._cost(b, index) for b in batches]
        fit = _unique_fit(costs, fell)
        started: list[bool | None] = [None] * len(batches) if fit is None else list(fit)
        for batch, cost, went in zip(batches, costs, started, strict=True):
            if went is None:
                self._undecided(batch, cost)
            elif went:
                self._from_list(batch, index)
            else:  # had one that would have cost nothing run, it found nothing: untraced
                self.ctx.lost(untraced=0 if cost else 1)
                self._never_started(batch)

    async def _fell(self, batches: list[_Batch]) -> int | None:
        """What the lost batches charged as the balance shows it: its fall since the run first
        started less what the run's settled rows cost; None when it cannot be read that way
        (work of the run still in flight, no starting balance, too many batches)."""
        ctx = self.ctx
        theirs = sum(len(b.open) for b in batches) * self.price
        base = self._baseline()
        if base is None or ctx.in_flight > theirs or len(batches) > MAX_UNDECIDED:
            return None
        now = await _still_balance(ctx)
        return base[0] - now - base[1]

    def _baseline(self) -> tuple[int, int] | None:
        """A balance of the run and what the run has settled since: its first balance and
        every row it settled, over all its invocations (this one's part of a run has only
        its own start, and then only when it resumed nothing)."""
        ctx = self.ctx
        first = ctx.journal.balance_before(ctx.run_id)
        if first is None:
            fresh = self.fresh and ctx.balance_left is not None
            return (ctx.balance_left or 0, ctx.settled_here) if fresh else None
        before = sum(item.outcome.credits for key, item in ctx.journal.items(ctx.run_id).items()
                     if item.outcome is not None and key not in ctx.outcomes)
        return first, before + ctx.charged

    def _cost(self, batch: _Batch, index: LeadIndex) -> int:
        """What the batch's open contacts cost if it ran, by what their leads show."""
        leads = (index.match(self.idents[k]) for k in batch.open if k in self.idents)
        return sum(found_credits(self.ctx.etype, lead.data) for lead in leads if lead)

    def _undecided(self, batch: _Batch, cost: int) -> None:
        """Neither the list nor the balance tells whether the batch ran: claim nothing, send
        nothing again, say so (a rerun of the run does not resend it either)."""
        ctx = self.ctx
        note = UNDECIDED.format(n=batch.n + 1)
        self._finish(batch, [Outcome(k, "failed", note=note) for k in sorted(batch.open)])
        ctx.lost(undecided=1)
        ctx.warnings.append(UNDECIDED_WARNING.format(n=batch.n + 1, size=len(batch.keys),
                                                     cost=cost))

    def _from_list(self, batch: _Batch, index: LeadIndex) -> None:
        """The batch ran: take each row's result from its lead."""
        outcomes = []
        for key in sorted(batch.open):
            lead = index.match(self.idents[key]) if key in self.idents else None
            data = lead.data if lead is not None else {}
            credits = found_credits(self.ctx.etype, data)
            outcomes.append(Outcome(key, "enriched" if credits else "not_found", note=RECOVERED,
                                    credits=credits, data=dict(data) if credits else {}))
        self._finish(batch, outcomes)
        charged = sum(o.credits for o in outcomes)
        self.ctx.record_workflow(WorkflowRecord(
            workflow_id=LOST_BATCH.format(n=batch.n + 1, run=self.ctx.run_id), status="completed",
            credits_reserved=0, credits_charged=charged, credits_refunded=0))


def _unique_fit(costs: list[int], fell: int | None) -> list[bool] | None:
    """Which batches ran, when exactly one choice of those that would have cost something adds
    up to what the balance fell by; else None. A batch that would have cost nothing counts as
    not run: had it run, it found nothing to charge."""
    if fell is None or fell < 0:
        return None
    paid = [n for n, cost in enumerate(costs) if cost]
    fits = [dict(zip(paid, choice, strict=True))
            for choice in itertools.product((False, True), repeat=len(paid))
            if sum(costs[n] for n, ran in zip(paid, choice, strict=True) if ran) == fell]
    return [fits[0].get(n, False) for n in range(len(costs))] if len(fits) == 1 else None


async def _still_balance(ctx: RunContext) -> int:
    """The balance once it stops moving (three equal reads): a legacy run charges each
    contact as its task ends."""
    last, still = await ctx.client.balance(), 0
    while still < 2:
        await asyncio.sleep(ctx.tuning.lost_answer_wait_s / 3)
        now = await ctx.client.balance()
        still = still + 1 if now == last else 0
        last = now
    return last


async def _wait_still(ctx: RunContext, list_id: str) -> None:
    """Wait until the list's enriched count stops moving (three equal reads)."""
    last, still = -1, 0
    while still < 2:
        await asyncio.sleep(ctx.tuning.lost_answer_wait_s / 3)
        _, count = await ctx.client.list_counts(list_id)
        still = still + 1 if count == last else 0
        last = count


def balance_check(ctx: RunContext, runner: LegacyRunner, after: int | None) -> None:
    """Compare what the results add up to with what the balance fell by, when the run started
    fresh here (nothing in flight from before) and nothing else of the account ran meanwhile
    as far as this state directory knows; a mismatch is a warning with both figures."""
    before = ctx.balance_left
    if not runner.fresh or before is None or after is None:
        return
    fell = before - after
    if fell != ctx.settled_here:
        ctx.warnings.append(BALANCE_MISMATCH.format(derived=ctx.settled_here, fell=fell,
                                                    before=before, after=after))


def _answer_lost(exc: errors.ApiError) -> bool:
    """True when a paid call may have been carried out although no answer came back."""
    if isinstance(exc, errors.TransportError):
        return exc.code != "not_sent"
    return isinstance(exc, errors.ServerError)


__all__ = ["LegacyRunner", "LegacyStrategy", "balance_check", "takes"]
