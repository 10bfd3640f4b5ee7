"""Decide what a run will buy before anything is spent: dedupe, cache hits, mode, the estimate.

Pure apart from reading the input: `load` reads and maps the file, `make_plan` turns the mapped rows
into a `Plan`, `check_budget` compares the estimate with the cap and the balance.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from .errors import CreditsError
from .mapping import ColumnMap, has_identifiers, map_columns, row_values
from .models import EnrichmentType, EnrichOptions, Identity, Invalid, Kind, Outcome, Plan, price
from .read import Table, read_table
from .rules import validate

RUN_ID_VERSION = "1"


class CacheLookup(Protocol):
    """What the plan needs of the result cache (journal.ResultCache satisfies it)."""

    def lookup(
        self, kind: Kind, key: str, enrichment_type: EnrichmentType, max_age_days: float
    ) -> Outcome | None: ...


@dataclass(frozen=True)
class Loaded:
    """The input as read and understood: the sheet and how its columns map."""

    table: Table
    columns: ColumnMap


def load(options: EnrichOptions) -> Loaded:
    """Read the input (the sheet that holds identifiers) and map its columns."""
    table = read_table(
        options.input, sheet=options.sheet, limit=options.limit, accept=has_identifiers
    )
    columns = map_columns(table, kind=options.kind, overrides=options.mapping_overrides)
    return Loaded(table, columns)


def make_plan(
    loaded: Loaded, options: EnrichOptions, cache: CacheLookup | None = None
) -> Plan:
    """Validate every row, dedupe by identity, take cache hits out, and price the rest."""
    kind = loaded.columns.kind
    verdicts = [validate(values, kind) for values in row_values(loaded.table, loaded.columns)]
    row_keys = tuple(v if isinstance(v, Invalid) else v.key for v in verdicts)
    unique = _unique(v for v in verdicts if isinstance(v, Identity))
    cached = _cache_hits(unique, kind, options, cache)
    to_send = tuple(i for i in unique if i.key not in cached)
    valid_rows = sum(1 for v in verdicts if isinstance(v, Identity))
    return Plan(
        kind=kind,
        enrichment_type=options.enrichment_type,
        mode="sync" if kind == "company" else options.mode,
        row_keys=row_keys,
        identities=to_send,
        cached=cached,
        duplicates=valid_rows - len(unique),
        estimated_max=len(to_send) * price(kind, options.enrichment_type),
        run_id=run_id(loaded.table.path, kind, options),
    )


def _unique(identities: Iterable[Identity]) -> tuple[Identity, ...]:
    """The first identity seen for each key, in order."""
    seen: dict[str, Identity] = {}
    for ident in identities:
        seen.setdefault(ident.key, ident)
    return tuple(seen.values())


def _cache_hits(
    unique: Iterable[Identity], kind: Kind, options: EnrichOptions, cache: CacheLookup | None
) -> Mapping[str, Outcome]:
    if cache is None or not options.use_cache:
        return {}
    hits: dict[str, Outcome] = {}
    for ident in unique:
        hit = cache.lookup(kind, ident.key, options.enrichment_type, options.max_age_days)
        if hit is not None:
            hits[ident.key] = hit
    return hits


def run_id(path: Path, kind: Kind, options: EnrichOptions) -> str:
    """The journal's name for a run: the input's content plus the options that change what is
    bought. Mode, concurrency and the cap are left out on purpose, so resuming with other
    settings still finds what the interrupted run already paid for."""
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    settings = {
        "v": RUN_ID_VERSION,
        "kind": kind,
        "type": options.enrichment_type,
        "sheet": options.sheet,
        "limit": options.limit,
        "map": sorted(options.mapping_overrides.items()),
        "base_url": options.base_url,
    }
    digest.update(json.dumps(settings, sort_keys=True).encode())
    return digest.hexdigest()[:32]


def check_budget(plan: Plan, *, max_credits: int | None, balance: int | None) -> None:
    """Refuse (exit 3, nothing spent) when the most the run can cost passes the cap or balance."""
    need = plan.estimated_max
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
