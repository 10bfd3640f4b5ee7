"""What the rows, bulk and company strategies share: the `Strategy` seam they implement, the
run's books (`RunContext`), the cap, progress ticks."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Coroutine, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Protocol

from csv_enrich.api.client import CleanlistClient, WorkflowStatus
from csv_enrich.journal import Journal, ResultCache
from csv_enrich.models import (
    EnrichmentType,
    EnrichOptions,
    Identity,
    Outcome,
    Plan,
    Progress,
    WorkflowRecord,
)
from csv_enrich.plan import AUTO_BULK_MIN
from csv_enrich.plan_columns import IdentityFrame

# Identities whose aliases a finish_many works out at once (each slice's tuples and name keys
# held while its outcomes are stored: ~1 MiB a thousand at the peak of a 100k bulk run's end)
ALIASES_AT_ONCE = 5_000

ProgressCallback = Callable[[Progress], None]
TICK_EVERY_S = 0.5
CAP_NOTE = "not sent: the next lookup could take the run past --max-credits {cap:,}"
BALANCE_NOTE = "not sent: the balance does not cover it"
LOST_UNTRACED, LOST_UNDECIDED = "lost_untraced", "lost_undecided"  # run-level journal facts


@dataclass(frozen=True)
class Tuning:
    """Timing knobs of the strategies; the defaults suit the real API (tests shrink them)."""

    first_poll_s: float = 3.0  # when to first poll a single-person run (adapts as runs finish)
    min_poll_s: float = 0.5
    max_poll_s: float = 30.0
    poll_timeout_s: float = 900.0  # per workflow (the docs' helper gives up after 15 min)
    lost_answer_wait_s: float = 20.0  # how long a lost submission may take to show in the list
    bulk_first_poll_s: float = 5.0
    bulk_timeout_s: float = 1800.0
    auto_bulk_min: int = AUTO_BULK_MIN  # auto mode uses bulk from this many importable identities


def found_prices(enrichment_type: EnrichmentType) -> tuple[int, int]:
    """What the API charges for a found email and a found phone under `enrichment_type` (pay
    for results: email 1, phone 10; 0 for a part the type does not buy)."""
    email = 1 if enrichment_type in ("partial", "full") else 0
    phone = 10 if enrichment_type in ("phone_only", "full") else 0
    return email, phone


def found_credits(enrichment_type: EnrichmentType, data: Mapping[str, str]) -> int:
    """What the API charges for a lead by what was found (`found_prices`)."""
    email, phone = found_prices(enrichment_type)
    return (email if data.get("email") else 0) + (phone if data.get("phone") else 0)


def workflow_record(status: WorkflowStatus, reserved: int) -> WorkflowRecord:
    """A settled status as the report's workflow record."""
    return WorkflowRecord(
        workflow_id=status.workflow_id, status=status.status, credits_reserved=reserved,
        credits_charged=status.credits_charged or 0,
        credits_refunded=status.credits_refunded or 0,
        refund_status=status.refund_status, refund_message=status.refund_message,
    )


@dataclass
class RunContext:
    """The books of one run: outcomes, workflows, credits committed against the cap."""

    plan: Plan
    client: CleanlistClient
    journal: Journal
    cache: ResultCache | None
    progress: ProgressCallback | None = None
    tuning: Tuning = field(default_factory=Tuning)
    workers: int = EnrichOptions.concurrency  # requests in flight at once (--concurrency)
    outcomes: dict[str, Outcome] = field(default_factory=dict)
    workflows: dict[str, WorkflowRecord] = field(default_factory=dict)
    in_flight: int = 0  # credits reserved by submitted, unsettled work
    reserved_total: int = 0
    warnings: list[str] = field(default_factory=list)
    message: str = ""
    balance_left: int | None = None  # the balance when this run started
    settled_here: int = 0  # credits settled since then
    working: int = 0  # rows a bulk run has processed but not yet read back (for progress)
    # Set when this context finishes an earlier run's work for run `paid_by`: that run claims
    # the workflows and credits; this run's journal records the rows as paid there (0 credits).
    paid_by: str | None = None
    # called with the balance after the run (the legacy path checks its derived credits on it)
    after_run: list[Callable[[int | None], None]] = field(default_factory=list)
    # Called with each outcome this context finishes (and whether it is final): a run buying
    # some people at another type hands their outcomes to the main run as they end.
    on_finish: Callable[[Outcome, bool], None] | None = None
    # People an earlier run bought part of (its email, collected here): what it found, and the
    # type that buys the rest (beside the plan's own `prefill` and `types`, from the cache)
    known: dict[str, Outcome] = field(default_factory=dict)
    types: dict[str, EnrichmentType] = field(default_factory=dict)
    # Submissions whose answer was lost: sent again because the API showed no trace of them
    # (if the API did start one, it found nothing and charged nothing, but its workflow is
    # not in the report's list), and legacy batches it cannot tell ran or not (none claimed):
    # counted by `lost` in this invocation (the report takes the run's journaled totals)
    lost_untraced: int = 0
    lost_undecided: int = 0
    _last_tick: float = 0.0
    _frame: IdentityFrame | None = None  # the plan's identities as columns (`aliases`)

    @property
    def run_id(self) -> str:
        return self.plan.run_id

    @property
    def etype(self) -> EnrichmentType:
        return self.plan.enrichment_type

    def type_of(self, key: str) -> EnrichmentType:
        """The enrichment type bought for identity `key` in this run."""
        return self.types.get(key) or self.plan.type_of(key)

    def known_of(self, key: str) -> Outcome | None:
        """What is already known of identity `key` (an earlier run's or the cache's part)."""
        return self.known.get(key) or self.plan.prefill.get(key)

    @property
    def scope(self) -> str:
        """The API endpoint and account (hashed) the run's results and submissions belong to."""
        return self.client.scope

    def aliases(self, key: str) -> tuple[str, ...]:
        """Every key the plan's identity `key` answers to (just `key` if it is not the plan's),
        its name keys included: what it is registered and cached under. Worked out when asked
        on the plan's identity columns, not held (100k identities' aliases and name keys were
        ~25 MiB for the whole run), nor an `Identity` built for it."""
        return self._identities().aliases(key) or (key,)

    def _aliases_along(self, batch: Sequence[Outcome]) -> Callable[[str], tuple[str, ...]]:
        """`aliases` for the keys of `batch`, worked out on the plan's identity columns a slice
        at a time as they are asked for in the batch's order (one by one out of order)."""
        return self._identities().aliases_in_order([o.key for o in batch],
                                                   ALIASES_AT_ONCE).__getitem__

    def _identities(self) -> IdentityFrame:
        if self._frame is None:
            self._frame = IdentityFrame.of(self.plan.identities, self.plan.kind)
        return self._frame

    @property
    def charged(self) -> int:
        """Credits settled so far for this run's outcomes."""
        return sum(o.credits for o in self.outcomes.values())

    def credits_room(self) -> int:
        """How many more credits may be committed (cap and balance); a large number if no limit."""
        rooms = [10**12]
        if self.plan.max_credits is not None:
            rooms.append(self.plan.max_credits - self.charged - self.in_flight)
        if self.balance_left is not None:
            rooms.append(self.balance_left - self.settled_here - self.in_flight)
        return max(0, min(rooms))

    def room_for(self, price: int) -> str | None:
        """None when `price` more can be committed; else the reason it cannot (the note)."""
        committed = self.charged + self.in_flight
        cap = self.plan.max_credits
        if cap is not None and committed + price > cap:
            return CAP_NOTE.format(cap=cap)
        if self.balance_left is not None and (
                self.settled_here + self.in_flight + price > self.balance_left):
            return BALANCE_NOTE
        return None

    def reserve(self, credits: int) -> None:
        """Count credits a submitted call reserved."""
        self.in_flight += credits
        self.reserved_total += credits

    def settle(self, reserved: int) -> None:
        """Release a reservation (its outcome carries the settled credits)."""
        self.in_flight = max(0, self.in_flight - reserved)

    def lost(self, *, untraced: int = 0, undecided: int = 0) -> None:
        """Count lost answers the API cannot show (see `lost_untraced`), here and in the journal
        of the run that reports them (`paid_by`'s for a part), so a resume's report keeps them."""
        self.lost_untraced += untraced
        self.lost_undecided += undecided
        run_id = self.paid_by or self.run_id
        for name, n in ((LOST_UNTRACED, untraced), (LOST_UNDECIDED, undecided)):
            if n:
                self.journal.set(run_id, name, int(self.journal.get(run_id, name, 0)) + n)

    def lost_in_run(self) -> tuple[int, int]:
        """Lost answers (untraced, undecided) counted by this run across its resumes."""
        return (int(self.journal.get(self.run_id, LOST_UNTRACED, 0)),
                int(self.journal.get(self.run_id, LOST_UNDECIDED, 0)))

    def finish(self, outcome: Outcome, *, journal: bool = True, cache: bool = True) -> None:
        """An identity ended: keep it, journal it (unless it should be retried), cache it
        (unless it holds only part of what the run buys)."""
        self.outcomes[outcome.key] = outcome
        self.settled_here += outcome.credits
        if journal:
            self.journal.record_outcome(self.run_id, self._journaled(outcome))
        if self.cache is not None and cache:
            self.cache.store(self.plan.kind, self.aliases(outcome.key), self.etype, outcome,
                             scope=self.scope, run_id=self.run_id)
        if self.on_finish is not None:
            self.on_finish(outcome, journal)
        self.tick()

    def finish_many(self, outcomes: Iterable[Outcome]) -> None:
        """finish() for a batch, in one journal and one cache transaction (each written as it
        is walked: no list of rows, nor table of aliases, is made for them)."""
        batch = outcomes if isinstance(outcomes, list) else list(outcomes)
        self.outcomes.update((o.key, o) for o in batch)
        self.settled_here += sum(o.credits for o in batch)
        self.journal.record_outcomes(self.run_id, map(self._journaled, batch))
        if self.cache is not None:
            self.cache.store_many(self.plan.kind, self.etype, batch, scope=self.scope,
                                  run_id=self.run_id, aliases=self._aliases_along(batch))
        if self.on_finish is not None:
            for outcome in batch:
                self.on_finish(outcome, True)
        self.tick(force=True)

    def outcomes_of(self, idents: Iterable[Identity]) -> dict[str, Outcome]:
        """The outcomes recorded so far for `idents`, by key."""
        return {i.key: o for i in idents if (o := self.outcomes.get(i.key)) is not None}

    def _journaled(self, outcome: Outcome) -> Outcome:
        """The outcome as this run's journal keeps it (paid in another run: 0 credits)."""
        if self.paid_by is None:
            return outcome
        return paid_elsewhere(outcome, self.paid_by)

    def record_workflow(self, record: WorkflowRecord) -> str | None:
        """Claim a workflow's settled figures for this run (journal too, so the report survives
        a resume). A workflow another run already claimed stays that run's: its id is returned
        (and the caller's rows from it carry 0 credits), else None."""
        claimant = self.paid_by or self.run_id
        owner = self.journal.workflow_owner(record.workflow_id)
        if owner is not None and owner != claimant:
            return owner
        self.workflows[record.workflow_id] = record
        self.journal.record_workflow(claimant, record)
        return None

    def say(self, message: str) -> None:
        """Set the progress message and tick now."""
        self.message = message
        self.tick(force=True)

    def tick(self, *, force: bool = False) -> None:
        """Send a Progress to the callback (at most every TICK_EVERY_S unless forced)."""
        now = time.monotonic()
        if self.progress is None or (not force and now - self._last_tick < TICK_EVERY_S):
            return
        self._last_tick = now
        stats = self.client.stats
        self.progress(Progress(
            done=min(len(self.plan.identities),
                     sum(1 for k in self.outcomes if k not in self.plan.cached) + self.working),
            total=len(self.plan.identities), credits=self.charged, requests=stats.requests,
            waiting_on_rate_limit=stats.waiting, message=self.message,
            api_trouble=stats.trouble_text(),
        ))


class Strategy(Protocol):
    """One way of sending identities to the API: rows, bulk, legacy bulk and company runs
    implement it (the route `plan.choose_route` picks names which). `run` sends `idents`
    (resuming what the journal knows of `ctx.run_id`), records each ending with `ctx.finish` /
    `finish_many` and returns the outcomes it recorded. Identities it cannot carry are left
    without one (the route's `rest` takes them); raising StrategyUnavailable hands what was not
    sent to the route's `fallback`."""

    async def run(self, ctx: RunContext, idents: Sequence[Identity]) -> dict[str, Outcome]: ...


class StrategyUnavailable(Exception):
    """The API refuses a strategy for this account (CSV import switched off, answering 503)."""


async def run_workers(worker: Callable[[], Coroutine[Any, Any, None]], count: int) -> None:
    """Run `count` copies of `worker` to completion; the first error is raised as itself."""
    try:
        async with asyncio.TaskGroup() as group:
            for _ in range(count):
                group.create_task(worker())
    except BaseExceptionGroup as group_error:
        raise _first(group_error) from None


def _first(error: BaseException) -> BaseException:
    while isinstance(error, BaseExceptionGroup):
        error = error.exceptions[0]
    return error


async def heartbeat(ctx: RunContext, every_s: float = 1.0) -> None:
    """Tick progress every `every_s` (so 'waiting on the rate limit' shows) until cancelled."""
    while True:
        await asyncio.sleep(every_s)
        ctx.tick(force=True)


PAID_IN = "result of a workflow run {run} paid for (its report counts the credits)"


def paid_elsewhere(outcome: Outcome, run_id: str) -> Outcome:
    """`outcome` as seen by a run that did not pay for it: 0 credits, and where it was paid."""
    if not outcome.credits:
        return outcome
    note = "; ".join(n for n in (PAID_IN.format(run=run_id), outcome.note) if n)
    return replace(outcome, credits=0, note=note)


def take_books(ctx: RunContext, part: RunContext) -> None:
    """What a part of the run (another type, an earlier run collected) tells its report: its
    warnings and its lost answers."""
    ctx.warnings.extend(w for w in part.warnings if w not in ctx.warnings)
    ctx.lost_untraced += part.lost_untraced
    ctx.lost_undecided += part.lost_undecided


def skipped(ident: Identity, note: str) -> Outcome:
    """An identity not sent (cap or balance)."""
    return Outcome(key=ident.key, status="skipped", note=note)
