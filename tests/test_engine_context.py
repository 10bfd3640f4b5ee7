"""RunContext's books on a real journal and result cache (tmp_path): what finish and finish_many
register and cache, by every alias, as the table of every identity's aliases did before issue 16
(kept here as the reference)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from csv_enrich.api.client import CleanlistClient
from csv_enrich.engine.context import RunContext
from csv_enrich.journal import Journal, ResultCache
from csv_enrich.models import Identity, Outcome, Plan
from csv_enrich.rules.validate import name_keys

PEOPLE = [
    Identity("person", f"email:p{n}@acme.io", email=f"p{n}@acme.io", first_name=f"Ann{n % 3}",
             last_name="Lee", company_name="Acme Inc", domain="acme.io",
             aliases=(f"email:p{n}@acme.io", f"li:ann-{n}"))
    for n in range(8)
] + [Identity("person", "name:bo|li|acme io", first_name="Bo", last_name="Li",
              company_name="Acme io")]


def old_aliases(ident: Identity) -> tuple[str, ...]:
    return tuple(dict.fromkeys((ident.key, *ident.aliases, *name_keys(ident))))


def plan_of(idents: list[Identity]) -> Plan:
    return Plan(kind="person", enrichment_type="partial", mode="bulk",
                row_keys=tuple(i.key for i in idents), identities=tuple(idents), cached={},
                duplicates=0, estimated_max=len(idents), run_id="run")


def results(state: Path) -> set[tuple[str, ...]]:
    with sqlite3.connect(state / "journal.sqlite3") as conn:
        return set(conn.execute("SELECT scope, kind, alias, enrichment_type, run_id, outcome "
                                "FROM results"))


def outcome_of(ident: Identity, n: int) -> Outcome:
    status = ("enriched", "not_found", "failed")[n % 3]
    data = {"email": f"found{n}@acme.io"} if status == "enriched" else {}
    return Outcome(ident.key, status, credits=1 if data else 0, data=data)


@settings(max_examples=25, deadline=None)
@given(order=st.permutations(range(len(PEOPLE))), stray=st.booleans())
def test_finish_many_caches_under_every_alias_in_any_order(
        tmp_path_factory: pytest.TempPathFactory, order: list[int], stray: bool) -> None:
    """Whatever the batch's order (plan order: a slice of keys at a time; out of order, by key) and
    with a key that is not the plan's, the cache holds what the old table of aliases stored."""
    new, old = tmp_path_factory.mktemp("new"), tmp_path_factory.mktemp("old")
    batch = [outcome_of(PEOPLE[n], n) for n in order]
    if stray:
        batch.insert(len(batch) // 2, Outcome("email:stray@x.io", "enriched", data={"a": "b"}))
    client = CleanlistClient(httpx.AsyncClient(), api_key="k", base_url="http://127.0.0.1:9")
    with Journal(new) as journal, ResultCache(new) as cache:
        ctx = RunContext(plan_of(PEOPLE), client, journal, cache)
        ctx.finish_many(batch)
        items = journal.items("run")
    with ResultCache(old) as cache:
        table = {i.key: old_aliases(i) for i in PEOPLE}
        for outcome in batch:
            cache.store("person", table.get(outcome.key, (outcome.key,)), "partial", outcome,
                        scope=client.scope, run_id="run")
    assert results(new) == results(old)
    assert {k: s.outcome for k, s in items.items()} == {o.key: o for o in batch}


def test_finish_caches_and_plan_order_needs_no_table(tmp_path: Path) -> None:
    """finish() looks the identity up by key (on the plan's identity columns), as a batch does."""
    client = CleanlistClient(httpx.AsyncClient(), api_key="k", base_url="http://127.0.0.1:9")
    with Journal(tmp_path) as journal, ResultCache(tmp_path) as cache:
        ctx = RunContext(plan_of(PEOPLE), client, journal, cache)
        ctx.finish_many([outcome_of(i, 0) for i in PEOPLE[:4]])
        ctx.finish(outcome_of(PEOPLE[5], 0))
        assert ctx.aliases(PEOPLE[5].key) == old_aliases(PEOPLE[5])
        assert ctx.aliases("email:nobody@x.io") == ("email:nobody@x.io",)
    stored = {alias for _, _, alias, *_ in results(tmp_path)}
    assert stored == {a for i in (*PEOPLE[:4], PEOPLE[5]) for a in old_aliases(i)}
