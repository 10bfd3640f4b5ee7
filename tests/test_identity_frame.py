"""What the engine asks of the identities, on their columns (plan_columns.IdentityFrame), against
what the same identities as records give: the keys they are registered and cached under, the
slices a bulk run takes, a frame made of records."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import httpx
from hypothesis import given, settings
from hypothesis import strategies as st

from csv_enrich.api.client import CleanlistClient
from csv_enrich.engine.context import RunContext
from csv_enrich.journal import Journal, ResultCache
from csv_enrich.journal.runs import json_list
from csv_enrich.models import Identity, Outcome, Plan
from csv_enrich.plan import importable
from csv_enrich.plan_columns import IdentityFrame, valid_rows
from csv_enrich.rules.validate import lookup_keys, name_keys
from tests.test_plan_columns import frame_of, identities

NAMES = st.one_of(st.none(), st.sampled_from(["", "Ann", "ANN", "Zoë", "Łukasz", "  Ann  Lee",
                                               "ǅ", "ﬁ", "o\u0301", "\u0301", "Acme, Inc."]),
                  st.text(max_size=6))


@st.composite
def named(draw: st.DrawFn) -> Identity:
    """An identity with any names and company (odd text too: what `fold` works on)."""
    base = draw(identities())
    return Identity("person", base.key, email=base.email, first_name=draw(NAMES),
                    last_name=draw(NAMES), company_name=draw(NAMES), domain=draw(NAMES),
                    aliases=base.aliases)


def registered(ident: Identity) -> tuple[str, ...]:
    """The original `RunContext.aliases` of one identity."""
    return tuple(dict.fromkeys((ident.key, *ident.aliases, *name_keys(ident))))


@settings(deadline=None, max_examples=60)
@given(st.lists(st.one_of(identities(), named()), min_size=1, max_size=25))
def test_registered_keys_on_columns(idents: list[Identity]) -> None:
    """Every key an identity answers to, name keys (folded) included: per identity, by key for
    many, by key for one; the last identity of a key when several share it (as a dict made
    from them); None / left out for a key that is none of them."""
    frame = IdentityFrame(valid_rows(frame_of(idents), {}, {}), "person")
    last = {i.key: registered(i) for i in idents}
    assert list(frame.registered()) == [(i.key, list(registered(i))) for i in idents]
    assert frame.aliases_of([*last, "email:none"]) == last
    assert {k: frame.aliases(k) for k in last} == last
    assert frame.aliases("email:none") is None
    assert frame.aliases_of([]) == {}


def test_registered_keys_of_companies_have_no_name_keys() -> None:
    company = Identity("company", "domain:acme.io", domain="acme.io", company_name="Acme",
                       first_name="Ann", last_name="Lee", aliases=("domain:acme.io", "name:acme"))
    frame = IdentityFrame.of([company], "company")
    assert frame.aliases("domain:acme.io") == ("domain:acme.io", "name:acme")
    assert list(frame.registered()) == [("domain:acme.io", ["domain:acme.io", "name:acme"])]


@settings(deadline=None, max_examples=60)
@given(st.lists(st.one_of(identities(), named()), max_size=25), st.integers(0, 30))
def test_a_frame_of_records_and_its_slices(idents: list[Identity], n: int) -> None:
    """A frame made of records holds them (built already, and the same when built again from
    its columns); filtered and cut, it is the records filtered and cut."""
    frame = IdentityFrame.of(idents, "person")
    assert frame.built() == tuple(idents)
    assert IdentityFrame(frame.frame, "person").built() == tuple(idents)
    assert len(frame) == len(idents)
    assert frame.keys == [i.key for i in idents]
    assert frame.importable_only() == tuple(importable(idents))
    assert frame.head(n) == tuple(idents[:n])
    some = {i.key for i in idents[::2]}
    assert frame.only(list(some)) == tuple(i for i in idents if i.key in some)
    assert frame.without(list(some)) == tuple(i for i in idents if i.key not in some)
    assert IdentityFrame.of(frame, "person") is frame
    assert frame.lookup_keys() == [list(lookup_keys(i)) for i in idents]


def test_lookup_keys_of_records_whose_aliases_leave_out_their_key() -> None:
    """Regression (an earlier run's work was paid twice): identities made as records, their
    key not among their aliases, are looked up by their key too."""
    idents = [Identity("person", "email:a@b.io", email="a@b.io"),
              Identity("person", "li:ann", linkedin_url="x", aliases=("email:c@d.io", "li:ann")),
              Identity("company", "domain:acme.io", domain="acme.io")]
    assert IdentityFrame.of(idents[:2], "person").lookup_keys() == [
        list(lookup_keys(i)) for i in idents[:2]]
    assert IdentityFrame.of(idents[2:], "company").lookup_keys() == [["domain:acme.io"]]


@given(st.lists(st.text(max_size=8), max_size=40), st.integers(1, 7))
def test_bulk_keys_are_journaled_as_the_json_list_they_were(keys: list[str], at_once: int) -> None:
    """The bulk keys' journal text, made a few keys at a time, is json.dumps of their list."""
    assert json_list(iter(keys), at_once) == json.dumps(keys)


@settings(deadline=None, max_examples=30)
@given(st.lists(identities(), min_size=1, max_size=25), st.randoms(), st.integers(1, 4))
def test_aliases_asked_in_order_or_not(idents: list[Identity], rnd: object, at_once: int) -> None:
    """The aliases of many keys (a slice at a time while asked in order) are each key's: asked
    in order, shuffled, or for a key none of the identities has."""
    frame = IdentityFrame(valid_rows(frame_of(idents), {}, {}), "person")
    last = {i.key: registered(i) for i in idents}
    keys = [*last, "email:none"]
    wanted = {**last, "email:none": ("email:none",)}
    assert dict(frame.aliases_in_order(keys, at_once)) == wanted
    asked = frame.aliases_in_order(keys, at_once)
    shuffled = list(keys)
    rnd.shuffle(shuffled)  # type: ignore[attr-defined]
    assert {k: asked[k] for k in shuffled} == wanted


def test_a_run_context_caches_by_every_alias_without_building_the_identities(
        tmp_path: Path) -> None:
    """finish and finish_many of a plan kept as columns: every alias (name keys too) stored,
    in and out of plan order, and not one `Identity` built for it."""
    people = [Identity("person", f"email:p{n}@acme.io", email=f"p{n}@acme.io",
                       first_name="Zoë" if n % 2 else "Ann", last_name="Lee",
                       company_name="Acme Inc", domain="acme.io",
                       aliases=(f"email:p{n}@acme.io", f"li:ann-{n}")) for n in range(30)]
    frame = IdentityFrame(IdentityFrame.of(people, "person").frame, "person")
    plan = Plan(kind="person", enrichment_type="partial", mode="bulk",
                row_keys=tuple(i.key for i in people), identities=frame, cached={},
                duplicates=0, estimated_max=30, run_id="run")
    client = CleanlistClient(httpx.AsyncClient(), api_key="k", base_url="http://127.0.0.1:9")
    with Journal(tmp_path) as journal, ResultCache(tmp_path) as cache:
        ctx = RunContext(plan, client, journal, cache)
        ctx.finish_many([Outcome(i.key, "enriched", data={"email": "x"}) for i in people[:20]])
        ctx.finish_many([Outcome(i.key, "not_found") for i in reversed(people[20:29])])
        ctx.finish(Outcome(people[29].key, "enriched", data={"email": "y"}))
        assert frame._build is not None  # never built
    with sqlite3.connect(tmp_path / "journal.sqlite3") as conn:
        stored = {a for (a,) in conn.execute("SELECT alias FROM results")}
    assert stored == {a for i in people for a in registered(i)}
