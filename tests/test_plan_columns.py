"""The plan on columns gives what the plan on records gave: the same representatives, keys,
duplicates, cache lookups and counts (differential tests against `plan.dedupe`, `set_apart`,
`rules.validate.lookup_keys`, `plan.importable` and `legacy_wire.can_take`)."""

from __future__ import annotations

import csv
from pathlib import Path

import polars as pl
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from csv_enrich.api.legacy_wire import can_take
from csv_enrich.mapping.columns import field_frame
from csv_enrich.mapping.rows import ragged_rows
from csv_enrich.models import EnrichOptions, Identity, Invalid, LazyIdentities, Plan
from csv_enrich.plan import (
    dedupe,
    importable,
    limit_cut,
    load,
    make_plan,
    past_limit,
    set_apart,
)
from csv_enrich.plan_columns import IdentityFrame, dedupe_frame, valid_rows
from csv_enrich.rules.columns import IDENTITY_FIELDS, VERDICT_SCHEMA, validate_frame
from csv_enrich.rules.validate import lookup_keys

ALIASES = ["li:a", "li:b", "email:x", "email:y", "email:z", "pid:q", "name:ann|lee|acme.io",
           "name:bo|ng|initech", "domain:acme.io", "cid:c1"]
VALUES = st.one_of(st.none(), st.sampled_from(["Ann", "Lee", "acme.io", "Acme Inc", "x@y.io", "",
                                                "Straße", "BO"]))


@st.composite
def identities(draw: st.DrawFn) -> Identity:
    aliases = draw(st.lists(st.sampled_from(ALIASES), min_size=1, max_size=3, unique=True))
    fields = {f: draw(VALUES) for f in IDENTITY_FIELDS}
    return Identity("person", aliases[0], **fields, aliases=tuple(aliases))  # type: ignore[arg-type]


def frame_of(idents: list[Identity]) -> pl.DataFrame:
    """A verdict frame of valid rows (what rules.columns.verdict_frame gives for them)."""
    rows = [[i.key, list(i.aliases), *(getattr(i, f) for f in IDENTITY_FIELDS), None]
            for i in idents]
    return pl.DataFrame(rows, schema=VERDICT_SCHEMA, orient="row")


@settings(deadline=None)
@given(st.lists(identities(), min_size=1, max_size=25))
def test_dedupe_on_columns_is_the_union_find(idents: list[Identity]) -> None:
    """Rows sharing one alias, rows joined through several, rows alone: the same representatives
    (fields, key, every alias in the same order) in the same order, and the same key per row."""
    unique, keys = dedupe(idents)
    reps, key_of = dedupe_frame(valid_rows(frame_of(idents), {}, {}))
    assert IdentityFrame(reps, "person").built() == unique
    assert key_of.to_list() == keys


@settings(deadline=None)
@given(st.lists(identities(), min_size=1, max_size=25))
def test_counts_and_lookup_keys_on_columns(idents: list[Identity]) -> None:
    """What the estimate counts and the cache is asked, without building the identities."""
    frame = IdentityFrame(valid_rows(frame_of(idents), {}, {}), "person")
    assert frame.importable() == len(importable(idents))
    assert frame.legacy() == sum(map(can_take, idents))
    assert frame.lookup_keys() == [list(lookup_keys(i)) for i in idents]
    assert list(frame.keys) == [i.key for i in idents]
    assert frame == tuple(idents)
    assert frame.without([idents[0].key]) == tuple(i for i in idents if i.key != idents[0].key)


def test_lazy_identities_are_built_once_and_only_when_asked() -> None:
    """Counting and the keys never build them; the first look builds them all, once."""
    calls: list[int] = []

    def build() -> tuple[Identity, ...]:
        calls.append(1)
        return (Identity("person", "email:a@b.io", email="a@b.io", aliases=("email:a@b.io",)),)

    lazy = LazyIdentities(["email:a@b.io"], build)
    plan = Plan(kind="person", enrichment_type="partial", mode="auto", row_keys=("email:a@b.io",),
                identities=lazy, cached={}, duplicates=0, estimated_max=1, run_id="r")
    assert (len(lazy), plan.to_pay, plan.type_mix()) == (1, 1, {"partial": 1})
    assert calls == []
    assert lazy[0].email == "a@b.io"
    assert list(lazy) == list(lazy[:1])
    assert calls == [1]
    assert lazy == (lazy[0],)
    assert lazy != ()


CELLS = st.sampled_from(["", "ann@acme.io", "ANN@acme.io", "bo@initech.com", "not an email",
                         "https://www.linkedin.com/in/ann-lee", "linkedin.com/in/ann-lee/",
                         "https://linkedin.com/company/acme", "Ann", "Lee", "Bo", "acme.io",
                         "https://www.facebook.com/acme", "Acme", " "])


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.lists(CELLS, min_size=5, max_size=6), min_size=1, max_size=12),
       st.none() | st.integers(1, 12))
def test_the_plan_on_columns_is_the_plan_on_records(
        tmp_path: Path, rows: list[list[str]], limit: int | None) -> None:
    """A file of shared, partial, invalid, ragged and empty rows, with or without --limit: the
    same row keys (and reasons), identities sent and duplicates as validate_frame + past_limit
    + set_apart + dedupe."""
    path = tmp_path / "leads.csv"
    with path.open("w", newline="", encoding="utf-8") as fh:
        csv.writer(fh).writerows([["Email", "LinkedIn", "First Name", "Last Name", "Website"],
                                  *rows])
    fields = {"Email": "email", "LinkedIn": "linkedin_url", "First Name": "first_name",
              "Last Name": "last_name", "Website": "website"}  # whatever the cells look like
    options = EnrichOptions(input=path, limit=limit, mapping_overrides=fields)
    loaded = load(options)
    plan = make_plan(loaded, options)
    frame, _ = field_frame(loaded.table, loaded.columns)
    height, non_data = loaded.table.frame.height, loaded.table.non_data
    cut = limit_cut(height, non_data, limit)
    ragged = {i: r for i, r in ragged_rows(loaded.table, loaded.columns).items() if i < cut}
    verdicts = set_apart(past_limit(validate_frame(frame.head(cut), loaded.columns.kind), height,
                                    limit), non_data, ragged)
    valid = [v for v in verdicts if isinstance(v, Identity)]
    unique, key_of = dedupe(valid)
    keys = iter(key_of)
    assert plan.row_keys == tuple(v if isinstance(v, Invalid) else next(keys) for v in verdicts)
    assert plan.identities == unique
    assert plan.duplicates == len(valid) - len(unique)
    assert plan.estimated_max == len(unique)



def test_row_keys_are_the_identities_own_strings(tmp_path: Path) -> None:
    """A row's key is the very string its identity holds, not a copy of it (100k rows' keys
    cost no memory of their own): for rows alone (no join needed) and for duplicates."""
    for emails in (["ann@acme.io", "bo@initech.com", "not an email", "cy@acme.io"],
                   ["ann@acme.io", "bo@initech.com", "ANN@acme.io", "", "bo@initech.com"]):
        path = tmp_path / "leads.csv"
        path.write_text("Email\n" + "\n".join(emails) + "\n", encoding="utf-8")
        options = EnrichOptions(input=path)
        plan = make_plan(load(options), options)
        assert isinstance(plan.identities, IdentityFrame)
        own = {id(k) for k in plan.identities.keys}
        keys = [k for k in plan.row_keys if isinstance(k, str)]
        assert len(keys) == sum("@" in e for e in emails)
        assert all(id(k) in own for k in keys)
