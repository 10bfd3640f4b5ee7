"""The plan's cache lookups on columns: every identity's cached results in one query, and the
hits, the parts a `--type full` run already knows and what is in hand chosen on columns.

`candidates` joins the identities' lookup keys (`IdentityFrame.lookup_frame`) with the fresh
results stored under them (`ResultCache.fresh_rows`, one query), in the order
`journal.cache._order` reads them: per identity its own results first, newest first, then by
the key's rank. Each distinct result (one JSON text, stored under several aliases) is read once,
in Python: its data is what a hit carries. The choices are polars queries; Python runs again
only to build an `Outcome` per hit. What comes out is exactly what `ResultCache.lookup_many`,
`ResultCache.known` and the plan's loops gave, identity by identity (the differential tests in
tests/test_plan_cache.py).
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import polars as pl

from csv_enrich.models import EnrichmentType, Kind, Outcome
from csv_enrich.plan_columns import IdentityFrame

ROWS = {"alias": pl.String, "etype": pl.String, "stored_at": pl.Float64, "outcome": pl.String}
COVERING = {"email": ("partial", "full"), "phone": ("phone_only", "full")}  # store.PARTS turned
PARTS: Mapping[str, tuple[str, ...]] = {
    "partial": ("email",), "phone_only": ("phone",), "full": ("email", "phone")}


class FreshRows(Protocol):
    """What the plan reads of the result cache (journal.ResultCache satisfies it)."""

    def fresh_rows(self, kind: Kind, aliases: Sequence[str], max_age_days: float, *,
                   scope: str = "", exclude_run: str | None = None,
                   batch: int = 50_000) -> Iterator[list[tuple[Any, ...]]]: ...


@dataclass(frozen=True)
class Candidates:
    """Each identity's fresh cached results (i, key, etype, result), in the order the cache
    reads them, a result found under several keys once; `data[result]`: what it holds."""

    kind: Kind
    rows: pl.DataFrame
    data: list[dict[str, str]]
    given: set[int] = field(default_factory=set)  # results whose data an Outcome holds

    def take(self, result: int) -> dict[str, str]:
        """The data of `result` for one Outcome: the dict read, or a copy once it is given."""
        if result in self.given:
            return dict(self.data[result])
        self.given.add(result)
        return self.data[result]


class _Results:
    """The distinct results (outcome JSON) found, each read once: its data, its key, and
    whether it holds an email, a phone, anything."""

    def __init__(self) -> None:
        self.seen: dict[str, int] = {}
        self.data: list[dict[str, str]] = []
        self.keys: list[str] = []

    def number(self, batch: pl.DataFrame) -> pl.DataFrame:
        """The batch with each outcome replaced by its result's number."""
        texts = batch["outcome"].unique().to_list()
        for text in texts:
            if text not in self.seen:
                self.seen[text] = len(self.data)
                raw = json.loads(text)
                self.data.append(raw.get("data", {}))
                self.keys.append(raw.get("key"))
        ids = pl.Series([self.seen[t] for t in texts], dtype=pl.UInt32)
        return batch.select("alias", "etype", "stored_at",
                            result=pl.col("outcome").replace_strict(texts, ids))

    def column(self, name: str) -> pl.Series:
        """Per result: its key, or whether its data holds `name` (email, phone; "" for any)."""
        if name == "key":
            return pl.Series(self.keys, dtype=pl.String)
        return pl.Series([bool(d.get(name) if name else d) for d in self.data], dtype=pl.Boolean)


def candidates(idents: IdentityFrame, cache: FreshRows, max_age_days: float, *, scope: str,
               exclude_run: str | None) -> Candidates:
    """The cached results of every identity's lookup keys, with one query."""
    keys = idents.lookup_frame()
    results = _Results()
    found = pl.concat([results.number(pl.DataFrame(b, schema=ROWS, orient="row"))
                       for b in cache.fresh_rows(idents.kind, keys["alias"].unique().to_list(),
                                                 max_age_days, scope=scope,
                                                 exclude_run=exclude_run)]
                      or [pl.DataFrame(schema={**ROWS, "result": pl.UInt32}).drop("outcome")])
    found = found.with_columns(own=(pl.col("alias") == results.column("key").gather(
        found["result"])).fill_null(False))  # stored by the identity whose key it is under
    rows = (keys.join(found, on="alias")
            .sort(["i", "own", "stored_at", "rank", "etype"],
                  descending=[False, True, True, False, False])
            .unique(["i", "etype", "result"], keep="first", maintain_order=True)
            .select("i", "key", "etype", "result"))
    flags = {p: results.column(p).gather(rows["result"]) for p in ("email", "phone", "")}
    return Candidates(idents.kind, rows.with_columns(
        email=flags["email"], phone=flags["phone"], filled=flags[""]), results.data)


def parts(found: Candidates) -> pl.DataFrame:
    """Per identity with a cached result: (i, key, email, phone), each part found (true), not
    found (false) or unknown (null), decided by its first result of a type that covers it."""
    ids = found.rows.unique("i", keep="first", maintain_order=True).select("i", "key")
    for part, types in COVERING.items():
        first = (found.rows.filter(pl.col("etype").is_in(types))
                 .unique("i", keep="first", maintain_order=True).select("i", part))
        ids = ids.join(first, on="i", how="left", maintain_order="left")
    return ids


def hits(found: Candidates, etype: EnrichmentType) -> dict[str, Outcome]:
    """`ResultCache.lookup_many`'s hits by identity key: a company's first result with data; a
    person every part of `etype` known, enriched when one of them was found."""
    if found.kind == "company":
        first = found.rows.filter("filled").unique("i", keep="first", maintain_order=True)
        return {key: Outcome(key, "enriched", note="cached", credits=0, data=found.take(result))
                for key, result in first.select("key", "result").iter_rows()}
    known = parts(found).filter(pl.all_horizontal(pl.col(p).is_not_null() for p in PARTS[etype]))
    return _outcomes(found, known.with_columns(found=pl.any_horizontal(PARTS[etype])))


def partly(found: Candidates, keys: Sequence[str],
           ) -> tuple[dict[str, Outcome], dict[str, EnrichmentType]]:
    """For a --type full run over identities `keys`: those whose email or phone alone is known,
    what is known, and the type that buys only the rest (`plan._partly_known`)."""
    one = parts(found).filter(pl.col("email").is_null() != pl.col("phone").is_null(),
                              pl.col("key").is_in(pl.Series(keys, dtype=pl.String).implode()))
    one = one.with_columns(found=pl.coalesce("email", "phone"))
    types: dict[str, EnrichmentType] = {
        key: "phone_only" if email is not None else "partial"
        for key, email in one.select("key", "email").iter_rows()}
    return _outcomes(found, one), types


def _outcomes(found: Candidates, known: pl.DataFrame) -> dict[str, Outcome]:
    """An Outcome per identity of `known` (i, key, found): enriched with the data of all its
    results (the first value of each field) when found, else not found."""
    each = (found.rows.join(known.filter("found").select("i"), on="i", maintain_order="left")
            .group_by("i", maintain_order=True).agg("result"))
    results = dict(zip(each["i"].to_list(), each["result"].to_list(), strict=True))
    return {key: Outcome(key, "enriched", note="cached", data=_merge(found, results[i]))
            if hit else Outcome(key, "not_found", note="cached", data={})
            for i, key, hit in known.select("i", "key", "found").iter_rows()}


def _merge(found: Candidates, results: list[int]) -> dict[str, str]:
    """The data of `results`, in order, the first value of each field kept."""
    if len(results) == 1:
        return found.take(results[0])
    out = dict(found.data[results[0]])
    for result in results[1:]:
        for name, value in found.data[result].items():
            out.setdefault(name, value)
    return out


def in_hand(idents: IdentityFrame, mine: frozenset[str], elsewhere: frozenset[str],
            ) -> frozenset[str]:
    """The identities (keys) in `mine`, or with a lookup key in `elsewhere`."""
    keys = idents.frame["key"]
    held = keys.filter(keys.is_in(pl.Series(list(mine), dtype=pl.String).implode()))
    if elsewhere:
        long = idents.lookup_frame()
        at = long.filter(pl.col("alias").is_in(pl.Series(list(elsewhere),
                                                         dtype=pl.String).implode()))["i"]
        held = pl.concat([held, keys.gather(at.unique())])
    return frozenset(held.to_list())
