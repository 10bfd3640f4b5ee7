"""Decide what a run will buy before anything is spent: dedupe, cache hits, mode, the estimate.

Pure apart from reading the input: `load` reads and maps the file, `make_plan` turns the mapped rows
into a `Plan` (with the cap), `check_budget` compares the estimate with the cap and the balance,
and `choose_route` is the one place that decides which strategy sends the identities (rows, bulk
or company lookups), what follows it, and what replaces it when the API refuses it.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from itertools import chain
from pathlib import Path
from typing import Protocol

from csv_enrich import plan_cache
from csv_enrich.errors import CreditsError
from csv_enrich.mapping.columns import ColumnMap, field_frame, has_identifiers, map_columns
from csv_enrich.mapping.rows import Reading, ragged_rows
from csv_enrich.models import (
    EnrichmentType,
    EnrichOptions,
    Identity,
    Invalid,
    Kind,
    Mode,
    NotData,
    NotSent,
    Outcome,
    Plan,
    price,
)
from csv_enrich.plan_columns import IdentityFrame, dedupe_frame, row_keys, valid_rows
from csv_enrich.read import Table, read_table
from csv_enrich.read.background import in_thread
from csv_enrich.rules.columns import verdict_frame
from csv_enrich.rules.validate import validate

RUN_ID_VERSION = "1"


class CacheLookup(plan_cache.FreshRows, Protocol):
    """What the plan needs of the result cache (journal.ResultCache satisfies it)."""

    def holds(self, kind: Kind, scope: str = "") -> bool: ...

    def current_run(self, base: str) -> str: ...

    def in_hand(self, run_id: str) -> frozenset[str]: ...

    def in_flight(self, run_id: str) -> frozenset[str]: ...

    def pending_aliases(self, scope: str, kind: Kind, enrichment_type: EnrichmentType, *,
                        exclude_run: str) -> frozenset[str]: ...


@dataclass(frozen=True)
class Loaded:
    """The input as read and understood: the sheet and how its columns map."""

    table: Table
    columns: ColumnMap


def load(options: EnrichOptions, table: Table | None = None) -> Loaded:
    """Read the input (the sheet that holds identifiers) and map its columns; `table`: the
    input read already (read.ahead)."""
    if table is None:
        table = read_table(options.input, sheet=options.sheet, accept=has_identifiers)
    columns = map_columns(table, kind=options.kind, overrides=options.mapping_overrides)
    return Loaded(table, columns)


def make_plan(
    loaded: Loaded, options: EnrichOptions, cache: CacheLookup | None = None, *,
    pack: bool = False,
) -> Plan:
    """Validate every row, dedupe by identity, take cache hits out, and price the rest. Works on
    columns (plan_columns): an `Identity` is built only for what is sent, when it is sent. With
    `pack`, the table's cells are packed (Table.pack) as soon as the plan has read them."""
    kind, table = loaded.columns.kind, loaded.table
    content = in_thread(lambda: file_digest(table.path))  # hashed while the rest is worked out
    frame, row_notes = field_frame(table, loaded.columns)
    height, non_data = table.height, table.non_data
    cut = limit_cut(height, non_data, options.limit)
    ragged = {i: why for i, why in ragged_rows(table, loaded.columns).items() if i < cut}
    if pack:
        table.pack()
    verdicts = verdict_frame(frame.head(cut), kind)
    row_notes = {i: n for i, n in row_notes.items() if i not in non_data and i < cut}
    valid = valid_rows(verdicts, non_data, ragged)
    unique, key_of = dedupe_frame(valid)
    past = NotSent(not_sent_reason(options.limit)) if cut < height else None
    rid = run_id(table.path, kind, options, content=content())
    rid = cache.current_run(rid) if cache is not None else rid
    every = IdentityFrame(unique, kind)
    found = _candidates(every, options, cache, rid)
    cached = _cache_hits(found, options)
    to_send = every.without(cached)
    prefill, types = _partly_known(to_send, found, options)
    mine = cache.in_hand(rid) if cache is not None else frozenset()
    in_hand = _in_hand(to_send, kind, options, cache, rid, mine)
    resend = _resent(in_hand, kind, cache, rid, mine)
    return Plan(
        kind=kind,
        enrichment_type=options.enrichment_type,
        mode=options.mode,
        row_keys=row_keys(verdicts, valid, key_of, every, (height, past), non_data, ragged),
        identities=to_send,
        cached=cached,
        duplicates=valid.height - unique.height,
        estimated_max=_most(kind, options.enrichment_type, len(to_send), in_hand - resend,
                            types),
        run_max=_most(kind, options.enrichment_type, len(to_send), frozenset(), types),
        run_id=rid,
        row_notes=row_notes,
        max_credits=options.max_credits,
        types=types,
        prefill=prefill,
        in_hand=in_hand,
        resend=resend,
    )


def _most(kind: Kind, etype: EnrichmentType, sent: int, paid: frozenset[str],
          types: Mapping[str, EnrichmentType]) -> int:
    """The most the identities to send can cost: each at its type, those already `paid` for
    (in hand, not resent) left out."""
    base = price(kind, etype)
    other = sum(price(kind, t) - base for k, t in types.items() if k not in paid)
    return base * (sent - len(paid)) + other


def _resent(in_hand: frozenset[str], kind: Kind, cache: CacheLookup | None,
            rid: str, mine: frozenset[str]) -> frozenset[str]:
    """Company lookups in hand whose call an interrupted run (this one or another) never saw
    end: the run resends its single-use quote, charged once if the first call never ran, so
    the estimate counts them (people in flight are read back, free)."""
    if kind != "company" or cache is None or not in_hand:
        return frozenset()
    flying = cache.in_flight(rid)
    return frozenset(k for k in in_hand if k in flying or k not in mine)


def _in_hand(idents: IdentityFrame, kind: Kind, options: EnrichOptions,
             cache: CacheLookup | None, rid: str, mine: frozenset[str]) -> frozenset[str]:
    """Identities already paid for or in flight: by this (interrupted) run (`mine`), or
    submitted by another run that never saw them end (this run collects those instead of
    paying)."""
    if cache is None:
        return frozenset()
    elsewhere = cache.pending_aliases(options.connection.scope, kind, options.enrichment_type,
                                      exclude_run=rid)
    if not mine and not elsewhere:
        return frozenset()
    return plan_cache.in_hand(idents, mine, elsewhere)


def _partly_known(
    idents: IdentityFrame, found: plan_cache.Candidates | None, options: EnrichOptions,
) -> tuple[dict[str, Outcome], dict[str, EnrichmentType]]:
    """For a --type full run, the people whose email (or phone) an earlier run found or did
    not find within --max-age: what is known, and the type that buys only the rest."""
    if found is None or found.kind != "person" or options.enrichment_type != "full":
        return {}, {}
    return plan_cache.partly(found, idents.keys)


def set_apart(
    verdicts: Sequence[Identity | Invalid], not_data: Mapping[int, str], ragged: Mapping[int, str]
) -> list[Identity | Invalid]:
    """The verdicts with the rows that are not data (empty rows, report footers) and the ragged
    rows (values in the wrong columns) put apart, whatever their values said."""
    out = list(verdicts)
    for i, reason in ragged.items():
        out[i] = Invalid(reason)
    for i, reason in not_data.items():
        out[i] = NotData(reason)
    return out


def limit_cut(rows: int, not_data: Mapping[int, str], limit: int | None) -> int:
    """How many rows from the top hold the first `limit` data rows (--limit counts leads, not
    the blank lines and footer rows among them); all of them without a limit."""
    if limit is None:
        return rows
    seen = 0
    for i in range(rows):
        seen += i not in not_data
        if seen == limit:
            return i + 1
    return rows


def past_limit(verdicts: Sequence[Identity | Invalid], rows: int,
               limit: int | None) -> list[Identity | Invalid]:
    """The verdicts, then "not sent" for the rest of the `rows` (past --limit; set_apart puts
    the rows that are not data among them apart again)."""
    if limit is None or rows == len(verdicts):
        return list(verdicts)
    why = not_sent_reason(limit)
    return [*verdicts, *(NotSent(why) for _ in range(rows - len(verdicts)))]


def not_sent_reason(limit: int | None) -> str:
    """Why a row past --limit is not sent."""
    first = "the first row is" if limit == 1 else f"the first {limit:,} rows are"
    return f"not sent: past --limit {limit} (only {first} enriched)"


def verdict(reading: Reading, kind: Kind) -> Identity | Invalid:
    """What becomes of one row: not data, ragged (never sent), or as its values say."""
    if reading.not_data:
        return NotData(reading.not_data)
    if reading.ragged:
        return Invalid(reading.ragged)
    return validate(reading.values, kind)


def aliases(ident: Identity) -> tuple[str, ...]:
    """Every key `ident` answers to, its own key first."""
    return tuple(dict.fromkeys((ident.key, *ident.aliases)))


def dedupe(idents: Sequence[Identity]) -> tuple[tuple[Identity, ...], list[str]]:
    """Identities that share any alias are one person (union-find over the aliases): the unique
    representatives in first-seen order (the one with the most identifiers, carrying the whole
    group's aliases), and for each input identity the key of its representative. Identities
    that share no alias with another (most of them) stand for themselves."""
    every = [i.aliases if i.aliases[:1] == (i.key,) else aliases(i) for i in idents]
    counts = Counter(chain.from_iterable(every))
    multi = {a for a, n in counts.items() if n > 1}
    reps = _groups([i for i, a in zip(idents, every, strict=True) if not multi.isdisjoint(a)])
    unique: dict[str, Identity] = {}
    for ident, own in zip(idents, every, strict=True):  # own is ident.aliases: already in form
        rep = reps.get(ident.key) or (ident if own is ident.aliases else _alone(ident))
        unique.setdefault(rep.key, rep)
    return tuple(unique.values()), [reps[i.key].key if i.key in reps else i.key for i in idents]


def _alone(ident: Identity) -> Identity:
    """An identity that is its own group, with its aliases in the form a group gets."""
    every = aliases(ident)
    return ident if ident.aliases == every else replace(ident, aliases=every)


def _groups(idents: Sequence[Identity]) -> dict[str, Identity]:
    """Union-find over the aliases of `idents`: each identity's key -> its group's
    representative."""
    parent: dict[str, str] = {}

    def root(alias: str) -> str:
        while parent.setdefault(alias, alias) != alias:
            parent[alias] = parent[parent[alias]]
            alias = parent[alias]
        return alias

    for ident in idents:
        first, *rest = aliases(ident)
        for alias in rest:
            parent[root(alias)] = root(first)
    groups: dict[str, list[Identity]] = {}
    for ident in idents:
        groups.setdefault(root(ident.key), []).append(ident)
    reps = {r: _representative(group) for r, group in groups.items()}
    return {i.key: reps[root(i.key)] for i in idents}


def _representative(group: list[Identity]) -> Identity:
    best = max(group, key=lambda i: len(i.fields()))  # max keeps the first of equals
    every = dict.fromkeys(a for i in [best, *group] for a in aliases(i))
    return replace(best, aliases=tuple(every))


def _candidates(idents: IdentityFrame, options: EnrichOptions, cache: CacheLookup | None,
                rid: str) -> plan_cache.Candidates | None:
    """The fresh cached results of every identity (none looked up without a cache, with
    --no-cache, or when the cache holds nothing of the kind), this run's own left out."""
    scope = options.connection.scope
    if cache is None or not options.use_cache or not cache.holds(idents.kind, scope):
        return None
    return plan_cache.candidates(idents, cache, options.max_age_days, scope=scope,
                                 exclude_run=rid)


def _cache_hits(found: plan_cache.Candidates | None,
                options: EnrichOptions) -> Mapping[str, Outcome]:
    """The identities the cache answers for this run's type (`ResultCache.lookup_many`)."""
    return {} if found is None else plan_cache.hits(found, options.enrichment_type)


def run_id(path: Path, kind: Kind, options: EnrichOptions, *,
           content: hashlib._Hash | None = None) -> str:
    """The journal's name for a run: the input's content plus the options that change what is
    bought. Mode, concurrency and the cap are left out on purpose, so resuming with other
    settings still finds what the interrupted run already paid for. `content`: file_digest
    of `path`, made already."""
    digest = file_digest(path) if content is None else content.copy()
    settings: dict[str, object] = {
        "v": RUN_ID_VERSION,
        "kind": kind,
        "type": options.enrichment_type,
        "sheet": options.sheet,
        "limit": options.limit,
        "map": sorted(options.mapping_overrides.items()),
        "base_url": options.connection.home,
    }
    fields = list(options.mapping_overrides.values())
    if any(fields.count(f) > 1 for f in fields if f != "ignore"):  # --map order matters then
        settings["map_order"] = list(options.mapping_overrides.keys())
    digest.update(json.dumps(settings, sort_keys=True).encode())
    return digest.hexdigest()[:32]


def file_digest(path: Path) -> hashlib._Hash:
    """The SHA-256 of the file's bytes so far (run_id goes on with the settings)."""
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest


def check_budget(plan: Plan, *, balance: int | None) -> None:
    """Refuse (exit 3, nothing spent) when the most the run can cost passes the cap or balance."""
    need, max_credits = plan.estimated_max, plan.max_credits
    if max_credits is not None and need > max_credits:
        raise CreditsError(
            f"This run can cost up to {need:,} credits, over --max-credits {max_credits:,}. "
            f"Raise --max-credits, or enrich fewer rows with --limit."
        )
    if balance is not None and need > balance:
        raise CreditsError(
            f"This run can cost up to {need:,} credits but the balance is {balance:,} "
            f"(short by {need - balance:,}). Top up, or enrich fewer rows with --limit."
        )


# -- the route: which strategy sends the identities -----------------------------------------

AUTO_BULK_MIN = 5  # auto mode uses bulk from this many identities a CSV import can carry
RESUME_MODE = ("--mode {asked} was not used: this run started in {started} mode and goes on in it, "
               "so nobody it already sent is paid for again.")
COMPANY_MODE = ("--mode {mode} applies to people; a company file is looked up one company per "
                "call (sync)")


@dataclass(frozen=True)
class Route:
    """How a run sends its identities: the strategy first tried (`mode`), the one that takes
    what `mode` could not carry or left out (`rest`), and the one that replaces it when the API
    refuses it for the account (`fallback`), plus why the asked mode was not used, if it was not.
    """

    mode: Mode
    rest: Mode | None = None
    fallback: Mode | None = None
    warnings: tuple[str, ...] = ()


# Each strategy's route. Bulk imports what a CSV can carry and leaves the rest (a person_id
# alone, what the cap left out of its list) to rows; with CSV import switched off, the legacy
# bulk endpoint takes over (it sends what it cannot take through rows itself, side by side).
ROUTES: Mapping[Mode, Route] = {
    "rows": Route("rows"),
    "bulk": Route("bulk", rest="rows", fallback="legacy"),
    "legacy": Route("legacy"),
    "sync": Route("sync"),
}
RESUMABLE: tuple[Mode, ...] = ("rows", "bulk", "legacy")  # person modes a run can go on in


def importable(idents: Iterable[Identity]) -> list[Identity]:
    """Identities a CSV import can carry (email, LinkedIn, or names + company/domain)."""
    return [i for i in idents if i.email or i.linkedin_url
            or (i.first_name and i.last_name and (i.company_name or i.domain))]


def importable_count(idents: Sequence[Identity]) -> int:
    """len(importable(idents)), counted on the columns when the identities are a plan's."""
    return idents.importable() if isinstance(idents, IdentityFrame) else len(importable(idents))


def choose_route(plan: Plan, *, started: str | None = None,
                 auto_bulk_min: int = AUTO_BULK_MIN) -> Route:
    """The one place the mode is chosen. Companies: one lookup per call (sync). People: the mode
    asked; auto = bulk from `auto_bulk_min` importable identities, else rows. A resumed run goes
    on in the mode it `started` in: what the first part submitted (a bulk run, or rows in
    flight) is only found again by the strategy that sent it, so switching would pay twice."""
    if plan.kind == "company":
        if plan.mode in RESUMABLE:
            return replace(ROUTES["sync"], warnings=(COMPANY_MODE.format(mode=plan.mode),))
        return ROUTES["sync"]
    if plan.mode in RESUMABLE:
        mode = plan.mode
    else:
        mode = "bulk" if importable_count(plan.identities) >= auto_bulk_min else "rows"
    if started not in RESUMABLE or started == mode:
        return ROUTES[mode]
    if started == "legacy" and plan.mode == "auto":  # CSV import was off: it still is
        return ROUTES["legacy"]
    return replace(ROUTES[started],
                   warnings=(RESUME_MODE.format(asked=mode, started=started),))
