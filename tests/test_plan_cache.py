"""The plan's cache lookups on columns (plan_cache) give exactly what the per-identity lookups
gave: the same hits (key, status, note, credits, data), the same parts a --type full run knows
and the types that buy the rest, the same identities in hand. The reference is the code the plan
ran before: `ResultCache.lookup_many`, `ResultCache.known` once per identity, and the loop over
`lookup_keys` for what is in hand (kept here as it was)."""

from __future__ import annotations

import json
import tempfile
import time
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from csv_enrich import plan_cache
from csv_enrich.journal import ResultCache
from csv_enrich.journal.store import COVERS, PARTS
from csv_enrich.models import EnrichmentType, Identity, Kind, Outcome
from csv_enrich.plan_columns import IdentityFrame, valid_rows
from csv_enrich.rules.validate import lookup_keys
from tests.test_plan_columns import ALIASES, frame_of, identities

STORED = [*ALIASES, "name:ann|lee|acme inc", "name:straße|bo|acme.io", "name:ann|lee|straße"]
VALUES = st.one_of(st.none(), st.sampled_from(["", "x", "y@z.io", "+1555", "é"]),
                   st.integers(0, 1), st.just(["a"]))  # not strings: the odd path
stores = st.lists(st.tuples(
    st.sampled_from(["person", "company"]),
    st.lists(st.sampled_from(STORED), min_size=1, max_size=3),
    st.sampled_from(["partial", "phone_only", "full"]),
    st.sampled_from(["enriched", "not_found"]),
    st.dictionaries(st.sampled_from(["email", "phone", "job_title"]), VALUES, max_size=3),
    st.sampled_from(["run-1", "run-2"]),
    st.sampled_from(["", "scope-b"]),
    st.sampled_from([0, 0, 5, 40]),  # days old: ties, and results past --max-age 30
), max_size=10)


def fill(cache: ResultCache, stored: list) -> None:
    """Results stored through the cache's own API, then aged: `stored_at` set back `age` days
    from one instant (results of one age tie)."""
    base = time.time()
    for kind, keys, etype, status, data, run, scope, age in stored:
        outcome = Outcome(keys[0], status, credits=1, data=data)
        cache.store(kind, keys, etype, outcome, scope=scope, run_id=run)
        cache._conn.execute("UPDATE results SET stored_at=? WHERE stored_at>?",
                            (base - age * 86400, base))


def old_lookup_keys(idents: list[Identity], kind: Kind) -> list[list[str]]:
    return [list(lookup_keys(i)) if kind == "person" else list(dict.fromkeys((i.key, *i.aliases)))
            for i in idents]


def old_partly_known(cache: ResultCache, idents: list[Identity], every: list[list[str]],
                     max_age: float, scope: str, exclude: str | None,
                     ) -> tuple[dict[str, Outcome], dict[str, EnrichmentType]]:
    """plan._partly_known as it was: one `known` per identity."""
    known: dict[str, Outcome] = {}
    types: dict[str, EnrichmentType] = {}
    for ident, keys in zip(idents, every, strict=True):
        part = cache.known(keys, max_age, scope=scope, exclude_run=exclude)
        missing = part.missing("full")
        if len(missing) == 1:
            found = any(part.parts.values())
            known[ident.key] = Outcome(ident.key, "enriched" if found else "not_found",
                                       note="cached", data=dict(part.data) if found else {})
            types[ident.key] = "phone_only" if missing == ("phone",) else "partial"
    return known, types


@settings(max_examples=50, deadline=None)  # ~24 lookups each way per example
@given(stores, st.lists(identities(), min_size=1, max_size=8), st.sampled_from([30, 1e9]))
def test_hits_and_parts_on_columns_are_the_lookups_one_by_one(
        stored: list, idents: list[Identity], max_age: float) -> None:
    with tempfile.TemporaryDirectory() as tmp, ResultCache(Path(tmp)) as cache:
        fill(cache, stored)
        for kind in ("person", "company"):
            frame = IdentityFrame(valid_rows(frame_of(idents), {}, {}), kind)  # type: ignore[arg-type]
            every = old_lookup_keys(idents, kind)  # type: ignore[arg-type]
            for scope in ("", "scope-b"):
                for exclude in (None, "run-1"):
                    found = plan_cache.candidates(frame, cache, max_age, scope=scope,
                                                  exclude_run=exclude)
                    handed: list[object] = []  # every Outcome's data: never one dict for two
                    for etype in ("partial", "phone_only", "full"):
                        old = cache.lookup_many(kind, every, etype, max_age,  # type: ignore[arg-type]
                                                scope=scope, exclude_run=exclude)
                        want = {i.key: o for i, o in zip(idents, old, strict=True) if o}
                        got = plan_cache.hits(found, etype)  # type: ignore[arg-type]
                        assert got == want
                        assert list(got) == list(want)
                        handed.extend(o.data for o in got.values())
                    if kind == "person":
                        rest = [i for i in idents if i.key not in want]
                        part = plan_cache.partly(found, [i.key for i in rest])
                        assert part == old_partly_known(
                            cache, rest, [every[idents.index(i)] for i in rest], max_age, scope,
                            exclude)
                        handed.extend(o.data for o in part[0].values())
                    assert len({id(d) for d in handed}) == len(handed)


@settings(max_examples=200, deadline=None)
@given(st.lists(identities(), min_size=1, max_size=10),
       st.sets(st.sampled_from([*STORED, "li:zz"])), st.data())
def test_in_hand_on_columns_is_the_loop_over_lookup_keys(
        idents: list[Identity], elsewhere: set[str], data: st.DataObject) -> None:
    frame = IdentityFrame(valid_rows(frame_of(idents), {}, {}), "person")
    mine = frozenset(data.draw(st.sets(st.sampled_from([i.key for i in idents] + ["li:other"]))))
    pending = frozenset(elsewhere)
    old = frozenset(i.key for i, every in zip(idents, old_lookup_keys(idents, "person"),
                                              strict=True)
                    if i.key in mine or (pending and not pending.isdisjoint(every)))
    assert plan_cache.in_hand(frame, mine, pending) == old


def old_pending_aliases(store: ResultCache, scope: str, kind: Kind, etype: EnrichmentType, *,
                        exclude_run: str) -> frozenset[str]:
    """_Store.pending_aliases as it was: the bulk runs' keys asked one by one."""
    types = tuple(PARTS) if kind == "company" else COVERS[etype]
    marks = ",".join("?" * len(types))
    found = {alias for (alias,) in store._rows(
        f"SELECT s.alias FROM submissions s JOIN items i ON i.run_id=s.run_id AND i.key=s.key "
        f"WHERE s.scope=? AND s.kind=? AND s.run_id!=? AND s.enrichment_type IN ({marks}) "
        "AND i.outcome IS NULL AND (i.intent_at IS NOT NULL OR i.workflow_id IS NOT NULL)",
        scope, kind, exclude_run, *types)}
    for run_id, value in store._rows(
            "SELECT run_id, value FROM runs_meta WHERE name='bulk_keys' AND run_id!=? AND "
            "run_id IN (SELECT run_id FROM runs_meta WHERE name IN ('bulk_intent', "
            "'bulk_workflow'))", exclude_run):
        ended = {k for (k,) in store._rows(
            "SELECT key FROM items WHERE run_id=? AND outcome IS NOT NULL", run_id)}
        keys = [k for k in json.loads(value) if k not in ended]
        found.update(alias for key in keys for (alias,) in store._rows(
            f"SELECT alias FROM submissions WHERE run_id=? AND key=? AND scope=? AND kind=? "
            f"AND enrichment_type IN ({marks})", run_id, key, scope, kind, *types))
    return frozenset(found)


RUNS, KEYS = ["r1", "r2", "r3"], ["k1", "k2", "k3", "k4"]


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["", "s"]), st.sampled_from(["person", "company"]),
                          st.sampled_from(STORED), st.sampled_from(list(PARTS)),
                          st.sampled_from(RUNS), st.sampled_from(KEYS)), max_size=12),
       st.lists(st.tuples(st.sampled_from(RUNS), st.sampled_from(KEYS), st.booleans(),
                          st.booleans(), st.booleans()), max_size=8),
       st.lists(st.tuples(st.sampled_from(RUNS), st.sampled_from(
           ["bulk_keys", "bulk_intent", "bulk_workflow", "mode"]), st.lists(
           st.sampled_from(KEYS), max_size=4)), max_size=6))
def test_pending_aliases_asks_each_bulk_run_once(submitted: list, items: list,
                                                 meta: list) -> None:
    with tempfile.TemporaryDirectory() as tmp, ResultCache(Path(tmp)) as store:
        store._conn.executemany("INSERT OR IGNORE INTO submissions VALUES (?, ?, ?, ?, ?, ?)",
                                [(sc, k, a, t, r, key) for sc, k, a, t, r, key in submitted])
        store._conn.executemany(
            "INSERT OR IGNORE INTO items (run_id, key, intent_at, workflow_id, outcome) "
            "VALUES (?, ?, ?, ?, ?)", [(r, k, 1.0 if i else None, "w" if w else None,
                                        "{}" if o else None) for r, k, i, w, o in items])
        store._conn.executemany("INSERT OR REPLACE INTO runs_meta VALUES (?, ?, ?)",
                                [(r, n, json.dumps(v)) for r, n, v in meta])
        for scope in ("", "s"):
            for kind in ("person", "company"):
                for etype in PARTS:
                    for exclude in ("r1", "none"):
                        args = (scope, kind, etype)
                        assert store.pending_aliases(*args, exclude_run=exclude) == \
                            old_pending_aliases(store, *args, exclude_run=exclude)  # type: ignore[arg-type]
