"""ResultCache.lookup_many (one query for a whole plan) answers exactly as lookup() one by one."""

from __future__ import annotations

import tempfile
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from csv_enrich.journal import ResultCache
from csv_enrich.models import Outcome

ALIASES = ["li:a", "li:b", "email:c@x.io", "email:d@x.io", "name:e|f.io"]
stores = st.lists(st.tuples(
    st.sampled_from(["person", "company"]),
    st.lists(st.sampled_from(ALIASES), min_size=1, max_size=3),
    st.sampled_from(["partial", "phone_only", "full"]),
    st.dictionaries(st.sampled_from(["email", "phone"]), st.sampled_from(["", "x"]), max_size=2),
    st.sampled_from(["run-1", "run-2"]),
    st.sampled_from(["", "scope-b"]),
), max_size=8)
asks = st.lists(st.lists(st.sampled_from([*ALIASES, "li:none"]), min_size=1, max_size=4),
                max_size=6)


@settings(max_examples=150, deadline=None)
@given(stores, asks)
def test_lookup_many_is_lookup_for_each(stored: list, asked: list[list[str]]) -> None:
    with tempfile.TemporaryDirectory() as tmp, ResultCache(Path(tmp)) as cache:
        for kind, keys, etype, data, run, scope in stored:
            outcome = Outcome(keys[0], "enriched", credits=1, data=data)
            cache.store(kind, keys, etype, outcome, scope=scope, run_id=run)
        for kind in ("person", "company"):
            for etype in ("partial", "phone_only", "full"):
                for scope in ("", "scope-b"):
                    for exclude in (None, "run-1"):
                        one = [cache.lookup(kind, k, etype, 30, scope=scope, exclude_run=exclude)
                               for k in asked]
                        many = cache.lookup_many(kind, asked, etype, 30, scope=scope,
                                                 exclude_run=exclude)
                        assert many == one


def test_lookup_many_finds_an_older_alias_and_leaves_stale_ones(tmp_path: Path) -> None:
    with ResultCache(tmp_path) as cache:
        cache.store("person", ["li:a", "email:a@x.io"], "partial",
                    Outcome("li:a", "enriched", credits=1, data={"email": "a@x.io"}))
        got = cache.lookup_many("person", [["li:z", "email:a@x.io"], ["li:q"]], "partial", 30)
        assert got[0] == Outcome("li:z", "enriched", note="cached", credits=0,
                                 data={"email": "a@x.io"})
        assert got[1] is None
        assert cache.lookup_many("person", [["li:a"]], "partial", 1e-9) == [None]
