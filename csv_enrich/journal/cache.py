"""The result cache: enriched results by every alias, reusable by later runs within max-age."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from csv_enrich.journal.store import (
    PARTS,
    _keys,
    _Store,
    outcome_from_json,
    outcome_to_json,
)
from csv_enrich.models import EnrichmentType, Kind, Outcome
from csv_enrich.models import scope_of as scope_of  # its home was here; callers still find it

_OWN = "json_extract(outcome, '$.key') IS alias"
_FRESH_ROWS = (
    "SELECT alias, enrichment_type, stored_at, outcome FROM results WHERE scope=? AND kind=? "
    "AND alias IN (SELECT value FROM json_each(?)) AND stored_at>=? AND (? IS NULL OR run_id!=?)")
_STORE = "INSERT OR REPLACE INTO results VALUES (?, ?, ?, ?, ?, ?, ?)"
# A name key is weak (two people may share a name at one company): registering another
# person's result under it never replaces the result of the row whose own key it is.
_STORE_WEAK = (
    "INSERT INTO results VALUES (?, ?, ?, ?, ?, ?, ?) "
    "ON CONFLICT (scope, kind, alias, enrichment_type) DO UPDATE SET "
    "stored_at=excluded.stored_at, run_id=excluded.run_id, outcome=excluded.outcome "
    "WHERE json_extract(results.outcome, '$.key') IS NOT results.alias")


def _satisfies(kind: Kind, enrichment_type: EnrichmentType, data: Mapping[str, str]) -> bool:
    """A cached email satisfies partial, a phone phone_only; full needs both."""
    if kind == "company":
        return bool(data)
    return all(data.get(k) for k in PARTS[enrichment_type])


@dataclass(frozen=True)
class Known:
    """What the cache knows of a person: per part (email, phone) found or not, and the data."""

    parts: Mapping[str, bool]
    data: Mapping[str, str]

    def missing(self, enrichment_type: EnrichmentType) -> tuple[str, ...]:
        """The parts of `enrichment_type` the cache does not know."""
        return tuple(p for p in PARTS[enrichment_type] if p not in self.parts)


class ResultCache(_Store):
    """Enriched results by every alias of an identity, reusable by any later file within max-age
    days, scoped to the API endpoint and account that bought them (see `scope_of`)."""

    def __enter__(self) -> ResultCache:
        return self

    def lookup(self, kind: Kind, keys: str | Sequence[str], enrichment_type: EnrichmentType,
               max_age_days: float, *, scope: str = "",
               exclude_run: str | None = None) -> Outcome | None:
        """A fresh enough cached result for any of `keys` (a key or every alias, the identity's
        key first) that covers `enrichment_type`, as a 0-credit Outcome under the first key.
        Results stored by run `exclude_run` are left out (a resumed run reports its own)."""
        wanted = _keys(keys)
        if kind == "person":
            known = self.known(wanted, max_age_days, scope=scope, exclude_run=exclude_run)
            return _answer(known, enrichment_type, wanted[0])
        for _, text in self._entries(kind, wanted, max_age_days, scope, exclude_run):
            data = outcome_from_json(text).data
            if _satisfies(kind, enrichment_type, data):
                return Outcome(key=wanted[0], status="enriched", note="cached", credits=0,
                               data=dict(data))
        return None

    def lookup_many(self, kind: Kind, keys: Sequence[str | Sequence[str]],
                    enrichment_type: EnrichmentType, max_age_days: float, *, scope: str = "",
                    exclude_run: str | None = None) -> list[Outcome | None]:
        """[lookup(k, ...) for k in keys] with one query: the aliases go to a temporary table
        joined with the results (none asked when the cache holds nothing of this kind)."""
        if not self.holds(kind, scope):
            return [None] * len(keys)
        wanted = [_keys(k) for k in keys]
        found = self._found(kind, wanted, time.time() - max_age_days * 86400, scope, exclude_run)
        if not found:
            return [None] * len(wanted)
        parsed: dict[str, Mapping[str, str]] = {}
        return [_first_fresh(kind, enrichment_type, w, found, parsed) for w in wanted]

    def holds(self, kind: Kind, scope: str = "") -> bool:
        """Whether anything of `kind` is cached in `scope` at all (a plan asks nothing if not)."""
        return any(self._rows("SELECT 1 FROM results WHERE scope=? AND kind=? LIMIT 1",
                              scope, kind))

    def _found(self, kind: Kind, wanted: list[list[str]], since: float, scope: str,
               exclude_run: str | None) -> dict[str, list[tuple[float, str, str, bool]]]:
        """alias -> (stored_at, outcome, type, own) of each fresh enough result stored under
        it (own: stored by the identity whose key the alias is, see `_order`)."""
        with self._conn:
            self._conn.execute("BEGIN")
            self._conn.execute("CREATE TEMP TABLE IF NOT EXISTS asked (alias TEXT PRIMARY KEY)")
            self._conn.execute("DELETE FROM asked")
            self._conn.executemany("INSERT OR IGNORE INTO asked VALUES (?)",
                                   ((a,) for w in wanted for a in w))
            rows = self._conn.execute(
                "SELECT r.alias, r.stored_at, r.outcome, r.enrichment_type, "
                "json_extract(r.outcome, '$.key') IS r.alias "
                "FROM asked a "
                "JOIN results r "
                "ON r.scope=? AND r.kind=? AND r.alias=a.alias WHERE r.stored_at>=? "
                "AND (? IS NULL OR r.run_id!=?)", (scope, kind, since, exclude_run, exclude_run),
            ).fetchall()
            self._conn.execute("DELETE FROM asked")
        found: dict[str, list[tuple[float, str, str, bool]]] = {}
        for alias, stored_at, text, etype, own in rows:
            found.setdefault(alias, []).append((stored_at, text, etype, bool(own)))
        return found

    def fresh_rows(self, kind: Kind, aliases: Sequence[str], max_age_days: float, *,
                   scope: str = "", exclude_run: str | None = None,
                   batch: int = 50_000) -> Iterator[list[tuple[Any, ...]]]:
        """The fresh results stored under any of `aliases`, in batches of rows (alias,
        enrichment_type, stored_at, outcome JSON), for a reader that orders them as `_order`
        does. The aliases go to SQLite as one JSON array, each looked up by the index (none
        asked when nothing of `kind` is cached)."""
        if not aliases or not self.holds(kind, scope):
            return
        since = time.time() - max_age_days * 86400
        cursor = self._conn.execute(_FRESH_ROWS, (scope, kind, json.dumps(list(aliases)), since,
                                                  exclude_run, exclude_run))
        while rows := cursor.fetchmany(batch):
            yield rows

    def known(self, keys: Sequence[str], max_age_days: float, *, scope: str = "",
              exclude_run: str | None = None) -> Known:
        """What fresh results of any type say about a person (the latest result deciding each
        part): its email found or not (partial or full), its phone found or not."""
        return _known_of(self._entries("person", _keys(keys), max_age_days, scope,
                                       exclude_run))

    def _entries(self, kind: Kind, wanted: list[str], max_age_days: float, scope: str,
                 exclude_run: str | None) -> Iterator[tuple[str, str]]:
        """(type, outcome) of the fresh results under `wanted`, in `_order`."""
        since = time.time() - max_age_days * 86400
        marks = ",".join("?" * len(wanted))
        rows = self._rows(
            f"SELECT alias, stored_at, outcome, enrichment_type, {_OWN} FROM results "
            f"WHERE scope=? AND kind=? AND alias IN ({marks}) AND stored_at>=? "
            f"AND (? IS NULL OR run_id!=?)", scope, kind, *wanted, since, exclude_run, exclude_run)
        found: dict[str, list[tuple[float, str, str, bool]]] = {}
        for alias, stored_at, text, etype, own in rows:
            found.setdefault(alias, []).append((stored_at, text, etype, bool(own)))
        return iter([(etype, text) for _, text, etype, _own in _order(wanted, found)])

    def store(self, kind: Kind, keys: str | Sequence[str], enrichment_type: EnrichmentType,
              outcome: Outcome, *, scope: str = "", run_id: str = "") -> None:
        """Keep an outcome under every alias in `keys`: enriched ones, and for people also
        not-found ones (a later run then knows the email or phone was not found and does not
        buy it again). Failed, skipped and already cached ones are not kept."""
        if not _storable(kind, outcome):
            return
        text, now = outcome_to_json(outcome), time.time()
        for alias in _keys(keys):
            sql = _STORE if alias == outcome.key or not alias.startswith("name:") else _STORE_WEAK
            self._write(sql, scope, kind, alias, enrichment_type, now, run_id, text)

    def store_many(self, kind: Kind, enrichment_type: EnrichmentType,
                   outcomes: Iterable[Outcome], *, scope: str = "", run_id: str = "",
                   aliases: Callable[[str], Sequence[str]] | None = None) -> None:
        """store() for many outcomes in one transaction (`aliases`: key -> every alias, asked
        for each outcome in turn)."""
        with self._conn:
            self._conn.execute("BEGIN")
            for outcome in outcomes:
                if not _storable(kind, outcome):
                    continue
                keys = aliases(outcome.key) if aliases is not None else outcome.key
                self.store(kind, keys or outcome.key, enrichment_type, outcome, scope=scope,
                           run_id=run_id)


def _storable(kind: Kind, outcome: Outcome) -> bool:
    """Whether the cache keeps `outcome` (see `ResultCache.store`)."""
    storable = ("enriched", "not_found") if kind == "person" else ("enriched",)
    return outcome.status in storable and outcome.note != "cached"


def _first_fresh(kind: Kind, enrichment_type: EnrichmentType, wanted: list[str],
                 found: Mapping[str, list[tuple[float, str, str, bool]]],
                 parsed: dict[str, Mapping[str, str]]) -> Outcome | None:
    """lookup()'s answer from the results found for `wanted`: the first that satisfies, in
    `_order` (for a person: what those results say of each part, as `ResultCache.known`)."""
    candidates = _order(wanted, found)
    if kind == "person":
        known = _known_of((etype, text) for _, text, etype, _own in candidates)
        return _answer(known, enrichment_type, wanted[0])
    for _, text, _etype, _own in candidates:
        if text not in parsed:
            parsed[text] = outcome_from_json(text).data
        if _satisfies(kind, enrichment_type, parsed[text]):
            return Outcome(key=wanted[0], status="enriched", note="cached", credits=0,
                           data=dict(parsed[text]))
    return None


def _order(wanted: Sequence[str], found: Mapping[str, list[tuple[float, str, str, bool]]],
           ) -> list[tuple[float, str, str, bool]]:
    """The results found under `wanted`, newest first, but an identity's own results before
    the ones registered under its key by someone else: a name key also holds the results of
    people with an email or a profile under that name, and two people may share a name at
    one company (the row that was sent by that name gets the answer it was sent for)."""
    return sorted((c for alias in dict.fromkeys(wanted) for c in found.get(alias, ())),
                  key=lambda c: (not c[3], -c[0]))


def _known_of(results: Iterable[tuple[str, str]]) -> Known:
    """What (type, outcome JSON) results, newest first, say of a person by part."""
    parts: dict[str, bool] = {}
    data: dict[str, str] = {}
    for etype, text in results:
        outcome = outcome_from_json(text)
        for part in PARTS.get(etype, ()):
            parts.setdefault(part, bool(outcome.data.get(part)))
        for name, value in outcome.data.items():
            data.setdefault(name, value)
    return Known(parts, data)


def _answer(known: Known, enrichment_type: EnrichmentType, key: str) -> Outcome | None:
    """A cache hit for `enrichment_type` when every part of it is known, else None."""
    if known.missing(enrichment_type):
        return None
    found = any(known.parts[p] for p in PARTS[enrichment_type])
    return Outcome(key=key, status="enriched" if found else "not_found", note="cached",
                   data=dict(known.data) if found else {})
