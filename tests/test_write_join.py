"""write.join: one Outcome per data row, in row order, whatever happened to the row."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from hypothesis import given
from hypothesis import strategies as st

from csv_enrich.models import Identity, Invalid, Outcome, Plan
from csv_enrich.output.write import join

JANE = Outcome("email:jane@acme.io", "enriched", credits=1, data={"email": "jane@acme.io"})


def make_plan(
    row_keys: Sequence[str | Invalid], cached: Mapping[str, Outcome] | None = None
) -> Plan:
    """A person plan over these row keys (identities: every valid key not cached)."""
    cached = cached or {}
    keys = dict.fromkeys(k for k in row_keys if isinstance(k, str) and k not in cached)
    return Plan(
        kind="person",
        enrichment_type="partial",
        mode="rows",
        row_keys=tuple(row_keys),
        identities=tuple(Identity("person", k) for k in keys),
        cached=cached,
        duplicates=sum(1 for k in row_keys if isinstance(k, str)) - len(set(row_keys)),
        estimated_max=len(keys),
        run_id="run",
    )


def test_invalid_rows_keep_their_reason() -> None:
    """An invalid row becomes status invalid with the reason as its note and no credits."""
    rows = join(make_plan([Invalid("no email, LinkedIn URL or name + company")]), {})
    assert rows == [Outcome("", "invalid", note="no email, LinkedIn URL or name + company")]


def test_found_rows_get_their_outcome() -> None:
    """A row whose key the engine answered gets that Outcome unchanged."""
    assert join(make_plan([JANE.key]), {JANE.key: JANE}) == [JANE]


def test_duplicates_copy_the_data_at_no_cost() -> None:
    """A repeat of an earlier row gets the same data, 0 credits and the first row's number."""
    rows = join(
        make_plan([JANE.key, Invalid("x"), JANE.key]), {JANE.key: JANE}, source_rows=(5, 6, 9)
    )
    assert rows[2].data == JANE.data
    assert (rows[2].status, rows[2].credits, rows[2].note) == ("enriched", 0, "duplicate of row 5")


def test_duplicate_row_number_defaults_to_the_spreadsheet_row() -> None:
    """Without source rows, data row i is spreadsheet row i + 2 (the header is row 1)."""
    rows = join(make_plan([Invalid("x"), JANE.key, JANE.key]), {JANE.key: JANE})
    assert rows[2].note == "duplicate of row 3"


def test_cache_hits_cost_nothing_and_say_so() -> None:
    """A row served from the cache keeps the cached data, costs 0 and is marked as cached."""
    cached = Outcome(JANE.key, "enriched", credits=1, data=JANE.data)
    (row,) = join(make_plan([JANE.key], {JANE.key: cached}), {})
    assert (row.status, row.credits, row.data, row.note) == ("enriched", 0, JANE.data, "from cache")


def test_cache_note_says_it_once() -> None:
    """The cache's own "cached" note is not repeated ("from cache; cached"); a day it gives
    reads "from cache (enriched on DAY)"."""
    for note, shown in (
        ("cached", "from cache"),
        ("cached on 2026-11-20", "from cache (enriched on 2026-11-20)"),
    ):
        hit = Outcome(JANE.key, "enriched", note=note, data=JANE.data)
        (row,) = join(make_plan([JANE.key], {JANE.key: hit}), {})
        assert row.note == shown


def test_unanswered_keys_are_skipped_with_a_note() -> None:
    """A key neither answered nor cached (the run stopped early) is skipped, with a note."""
    (row,) = join(make_plan([JANE.key]), {})
    assert row.status == "skipped"
    assert row.note


@given(
    st.lists(
        st.one_of(st.sampled_from(["a", "b", "c", "d"]), st.builds(Invalid, st.text())), max_size=30
    )
)
def test_credits_sum_to_what_was_paid(row_keys: list[str | Invalid]) -> None:
    """Whatever the mix of rows, enrichment_credits adds up to the credits of the outcomes paid."""
    outcomes = {k: Outcome(k, "enriched", credits=len(k) + 2) for k in ("a", "b", "c")}
    plan = make_plan(row_keys, cached={"c": Outcome("c", "enriched", credits=7)})
    rows = join(plan, outcomes)
    paid = {k for k in row_keys if isinstance(k, str) and k in outcomes}
    assert len(rows) == len(row_keys)
    assert sum(r.credits for r in rows) == sum(outcomes[k].credits for k in paid)


def test_same_person_as_another_row_costs_nothing_and_names_the_row() -> None:
    """Issue 10: a row the API answered with another row's lead shows 0 credits and 'same person
    as row N' (N the row that carries the credits)."""
    first = Outcome("a", "enriched", credits=11, data={"email": "j@x.io"})
    second = Outcome("b", "enriched", credits=0, data={"email": "j@x.io"}, same_as="a")
    rows = join(make_plan(["a", Invalid("x"), "b"]), {"a": first, "b": second},
                source_rows=(2, 3, 4))
    assert rows[2].credits == 0
    assert rows[2].note == "same person as row 2"
    assert sum(r.credits for r in rows) == 11
