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

from csv_enrich.engine.context import RunContext, aliases_of, take_books
from csv_enrich.engine.route import run_route
from csv_enrich.journal import COVERS, PARTS, ItemState
from csv_enrich.models import EnrichmentType, Identity
from csv_enrich.plan import ROUTES
from csv_enrich.rules.validate import lookup_keys

ADOPTED = "submitted by an earlier interrupted run; collected here, not paid again"
OTHERS = ("collected an earlier interrupted run's work instead of paying again; its workflows "
          "also charged {n:,} credit(s) for people not in this run (shown as unattributed)")


@dataclass
class _Earlier:
    """One earlier run's unfinished work for identities of this run."""

    run_id: str
    etype: EnrichmentType
    rows: list[tuple[Identity, str]]  # (this run's identity, its key in the earlier run)
    bulk: list[tuple[Identity, str]]
    legacy: list[tuple[Identity, str]]


def register(ctx: RunContext) -> None:
    """Record this run's identities by every alias before anything is paid."""
    ctx.journal.register(ctx.run_id, ctx.scope, ctx.plan.kind, ctx.etype,
                         ((i.key, aliases_of(i)) for i in ctx.plan.identities))


async def collect_earlier(ctx: RunContext) -> None:
    """Finish, for this run's identities, what earlier runs submitted and left unfinished."""
    for earlier in _find(ctx, _fresh(ctx)).values():
        await _collect(ctx, earlier)


def _fresh(ctx: RunContext) -> list[Identity]:
    """Identities this run's own journal knows nothing paid about (its resume handles those)."""
    own = ctx.journal.items(ctx.run_id)
    in_bulk = set(ctx.journal.bulk_state(ctx.run_id).keys or ()) | legacy_keys(ctx, ctx.run_id)
    return [i for i in ctx.plan.identities if i.key not in own and i.key not in in_bulk]


def legacy_keys(ctx: RunContext, run_id: str) -> set[str]:
    """Every key a run sent (or meant to send) to the legacy bulk endpoint."""
    _, batches = ctx.journal.legacy_batches(run_id)
    return {k for b in batches for k in b.keys}


def _find(ctx: RunContext, idents: Iterable[Identity]) -> dict[str, _Earlier]:
    """Each identity's pending key in an earlier run, one identity per key: its own key first,
    then (for those left) an alias no identity of this run owns or took (regression: after
    Ctrl-C and an edited file, a name-only row took the key of a namesake known by its email,
    and that row got the name-only row's lead: 425 rows a namesake's email)."""
    found: dict[str, _Earlier] = {}
    runs: dict[str, _RunState] = {}
    options = {i.key: (i, ctx.journal.earlier(ctx.scope, ctx.plan.kind, ctx.etype,
                                              lookup_keys(i), exclude_run=ctx.run_id,
                                              any_part=True)) for i in idents}
    own = {i.key for i in ctx.plan.identities}
    taken: set[tuple[str, str]] = set()
    for ident, earlier in options.values():  # the same identity (its own key) in a run
        _take(ctx, runs, found, taken, ident,  # (registered under another's key if shared)
              list(dict.fromkeys((run, ident.key, etype) for run, _, etype in earlier)))
    left = set(options) - {k for _, k in taken}
    for ident, earlier in (options[k] for k in options if k in left):  # by an alias
        _take(ctx, runs, found, taken, ident,
              [o for o in earlier if o[1] not in own and (o[0], o[1]) not in taken])
    return found


def _take(ctx: RunContext, runs: dict[str, _RunState], found: dict[str, _Earlier],
          taken: set[tuple[str, str]], ident: Identity,
          options: Iterable[tuple[str, str, EnrichmentType]]) -> None:
    """Give `ident` the first of `options` an earlier run left pending, if any."""
    for run_id, key, etype in options:
        state = runs.get(run_id) or runs.setdefault(run_id, _RunState.read(ctx, run_id))
        where = state.pending(key)
        if where is not None:
            entry = found.setdefault(run_id, _Earlier(run_id, etype, [], [], []))
            getattr(entry, where).append((ident, key))
            taken.add((run_id, key))
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


async def _collect(ctx: RunContext, earlier: _Earlier) -> None:
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
