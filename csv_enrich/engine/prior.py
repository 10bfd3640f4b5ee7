"""Never pay twice across runs: collect what an earlier, unfinished run may already have paid for.

A run is named by its file and options, so an interrupted run followed by an edited file or
another --limit is a different run. Before anything is sent, each identity's aliases are looked
up in every earlier run of the same API and account (journal.earlier): when that run submitted
it (a rows intent or workflow, a bulk run over a list holding it, a legacy batch, or a company
lookup) and never recorded how it ended, that run is finished for those identities with its own
strategy and journal (poll the workflow, read its list, resend a company lookup's single-use
quote: charged once, or refused as used and shown as paid with no data) and the outcome is
taken over here, with its credits and its workflow, instead of being paid again.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from typing import Generic, TypeVar

from csv_enrich.engine.context import RunContext, take_books
from csv_enrich.engine.route import run_route
from csv_enrich.journal import COVERS, PARTS, ItemState
from csv_enrich.models import EnrichmentType, Identity
from csv_enrich.plan import ROUTES
from csv_enrich.plan_columns import SLICE, IdentityFrame

T = TypeVar("T")
ADOPTED = "submitted by an earlier interrupted run; collected here, not paid again"
OTHERS = ("collected an earlier interrupted run's work instead of paying again; its workflows "
          "also charged {n:,} credit(s) for people not in this run (shown as unattributed)")


@dataclass
class _Earlier(Generic[T]):
    """One earlier run's unfinished work for identities of this run (found by their keys,
    then built: `T` is str, then Identity)."""

    run_id: str
    etype: EnrichmentType
    rows: list[tuple[T, str]]  # (this run's identity, its key in the earlier run)
    bulk: list[tuple[T, str]]
    legacy: list[tuple[T, str]]


def register(ctx: RunContext) -> None:
    """Record this run's identities by every alias before anything is paid."""
    ctx.journal.register(ctx.run_id, ctx.scope, ctx.plan.kind, ctx.etype,
                         _frame(ctx).registered())


def _frame(ctx: RunContext) -> IdentityFrame:
    """The plan's identities as columns."""
    return IdentityFrame.of(ctx.plan.identities, ctx.plan.kind)


async def collect_earlier(ctx: RunContext) -> None:
    """Finish, for this run's identities, what earlier runs submitted and left unfinished."""
    for earlier in _find(ctx, _fresh(ctx)).values():
        await _collect(ctx, earlier)


def _fresh(ctx: RunContext) -> IdentityFrame:
    """Identities this run's own journal knows nothing paid about (its resume handles those)."""
    own = ctx.journal.items(ctx.run_id)
    in_bulk = set(ctx.journal.bulk_state(ctx.run_id).keys or ()) | legacy_keys(ctx, ctx.run_id)
    return _frame(ctx).without([*own, *in_bulk])


def legacy_keys(ctx: RunContext, run_id: str) -> set[str]:
    """Every key a run sent (or meant to send) to the legacy bulk endpoint."""
    _, batches = ctx.journal.legacy_batches(run_id)
    return {k for b in batches for k in b.keys}


def _find(ctx: RunContext, idents: IdentityFrame) -> dict[str, _Earlier[Identity]]:
    """Each identity's pending key in an earlier run, one identity per key: its own key first,
    then (for those left) an alias no identity of this run owns or took (regression: after
    Ctrl-C and an edited file, a name-only row took the key of a namesake known by its email,
    and that row got the name-only row's lead: 425 rows a namesake's email). Only the
    identities some earlier run holds are built."""
    found: dict[str, _Earlier[str]] = {}
    runs: dict[str, _RunState] = {}
    options = _registered_earlier(ctx, idents)
    theirs = {k for earlier in options.values() for _, k, _ in earlier}
    own = set(_frame(ctx).only(list(theirs)).key_column()) if theirs else set()
    taken: set[tuple[str, str]] = set()
    for key, earlier in options.items():  # the same identity (its own key) in a run
        _take(ctx, runs, found, taken, key,  # (registered under another's key if shared)
              list(dict.fromkeys((run, key, etype) for run, _, etype in earlier)))
    left = set(options) - {k for _, k in taken}
    for key, earlier in ((k, options[k]) for k in options if k in left):  # by an alias
        _take(ctx, runs, found, taken, key,
              [o for o in earlier if o[1] not in own and (o[0], o[1]) not in taken])
    return _built(idents, found)


def _registered_earlier(ctx: RunContext, idents: IdentityFrame,
                        ) -> dict[str, list[tuple[str, str, EnrichmentType]]]:
    """Per identity some other run registered under any of its lookup keys, those runs (run id,
    the key there, its type), latest first."""
    options = {}
    for part in idents.frame.iter_slices(SLICE):
        frame = IdentityFrame(part, idents.kind)
        for key, lookups in zip(frame.key_column(), frame.lookup_keys(), strict=True):
            earlier = ctx.journal.earlier(ctx.scope, ctx.plan.kind, ctx.etype, lookups,
                                          exclude_run=ctx.run_id, any_part=True)
            if earlier:
                options[key] = earlier
    return options


def _built(idents: IdentityFrame,
           found: dict[str, _Earlier[str]]) -> dict[str, _Earlier[Identity]]:
    """`found` with each identity (found by its key) built."""
    keys = [key for e in found.values() for pairs in (e.rows, e.bulk, e.legacy)
            for key, _ in pairs]
    built = {i.key: i for i in idents.only(keys)} if keys else {}

    def of(pairs: list[tuple[str, str]]) -> list[tuple[Identity, str]]:
        return [(built[key], theirs) for key, theirs in pairs]

    return {run: _Earlier(e.run_id, e.etype, of(e.rows), of(e.bulk), of(e.legacy))
            for run, e in found.items()}


def _take(ctx: RunContext, runs: dict[str, _RunState], found: dict[str, _Earlier[str]],
          taken: set[tuple[str, str]], key: str,
          options: Iterable[tuple[str, str, EnrichmentType]]) -> None:
    """Give identity `key` the first of `options` an earlier run left pending, if any."""
    for run_id, theirs, etype in options:
        state = runs.get(run_id) or runs.setdefault(run_id, _RunState.read(ctx, run_id))
        where = state.pending(theirs)
        if where is not None:
            entry = found.setdefault(run_id, _Earlier[str](run_id, etype, [], [], []))
            getattr(entry, where).append((key, theirs))
            taken.add((run_id, theirs))
            return


@dataclass
class _RunState:
    """What an earlier run's journal says, read once per run."""

    items: dict[str, ItemState]
    bulk_keys: set[str]
    legacy_keys: set[str]

    @classmethod
    def read(cls, ctx: RunContext, run_id: str) -> _RunState:
        bulk = ctx.journal.bulk_state(run_id)
        keys = set(bulk.keys or ()) if bulk.started else set()
        return cls(ctx.journal.items(run_id), keys, legacy_keys(ctx, run_id))

    def pending(self, key: str) -> str | None:
        """'rows', 'bulk' or 'legacy' when the run may have paid for `key` and not recorded
        the end."""
        state = self.items.get(key)
        if state is not None and state.outcome is not None:
            return None
        if state is not None and (state.workflow_id or state.intent_at is not None):
            return "rows"
        if key in self.legacy_keys:
            return "legacy"
        return "bulk" if key in self.bulk_keys else None


async def _collect(ctx: RunContext, earlier: _Earlier[Identity]) -> None:
    """Run the earlier run's strategies (the ones that sent them) over its unfinished
    identities; take the outcomes over."""
    pairs = earlier.rows + earlier.bulk + earlier.legacy
    theirs = tuple(replace(ident, key=key) for ident, key in pairs)
    plan = replace(ctx.plan, run_id=earlier.run_id, enrichment_type=earlier.etype,
                   identities=theirs, cached={}, row_keys=tuple(i.key for i in theirs),
                   types={}, prefill={})
    sub = RunContext(plan, ctx.client, ctx.journal, ctx.cache, None, ctx.tuning, ctx.workers,
                     balance_left=ctx.balance_left, paid_by=ctx.run_id)
    ctx.say("collecting what an earlier interrupted run already paid for")
    rows, bulk = len(earlier.rows), len(earlier.rows) + len(earlier.bulk)
    if earlier.bulk:
        await run_route(sub, ROUTES["bulk"], theirs[rows:bulk])
    if earlier.legacy:  # only its journaled batches: every key is in one
        await run_route(sub, ROUTES["legacy"], theirs[bulk:])
    if earlier.rows:  # a company's lookup is resent with its journaled single-use quote
        await run_route(sub, ROUTES["sync" if ctx.plan.kind == "company" else "rows"],
                        theirs[:rows])
    for record in sub.workflows.values():
        ctx.record_workflow(record)
    take_books(ctx, sub)
    taken, ended = 0, _ended_there(sub)
    ours = {key: ident.key for ident, key in pairs}  # the earlier run's keys -> this run's
    part = ctx.plan.kind == "person" and earlier.etype not in COVERS[ctx.etype]  # its emails
    for ident, key in pairs:
        if (outcome := sub.outcomes.get(key)) is not None and outcome.status != "skipped":
            note = "; ".join(n for n in (ADOPTED, outcome.note) if n)
            final = outcome.status in ("enriched", "not_found") or key in ended
            mine = replace(outcome, key=ident.key, note=note,
                           same_as=ours.get(outcome.same_as or "", outcome.same_as),
                           credits_on=ours.get(outcome.credits_on or "", outcome.credits_on))
            if part and final:  # the rest of the person is bought by this run
                ctx.known[ident.key] = mine
                ctx.types[ident.key] = _rest(ctx.etype, earlier.etype)
            else:
                ctx.finish(mine, journal=final)
            taken += outcome.credits
    others = sum(w.credits_charged for w in sub.workflows.values()) - taken
    if others > 0:
        ctx.warnings.append(OTHERS.format(n=others))
    ctx.say("")


def _ended_there(sub: RunContext) -> set[str]:
    """Company lookups the earlier run journaled as ended without data (paid or maybe paid,
    never sent again): this run journals them so too (its resume neither buys them again nor
    loses the credit)."""
    if sub.plan.kind != "company":
        return set()
    return {k for k, item in sub.journal.items(sub.run_id).items() if item.outcome is not None}


def _rest(wanted: EnrichmentType, bought: EnrichmentType) -> EnrichmentType:
    """The type that buys what `bought` left out of `wanted` (full less partial: phone_only)."""
    rest = [p for p in PARTS[wanted] if p not in PARTS[bought]]
    return "phone_only" if rest == ["phone"] else "partial" if rest == ["email"] else wanted
