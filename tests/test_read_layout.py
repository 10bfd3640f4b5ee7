"""Rows that are not data and group headers (read.layout, issue 12), property-tested."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from csv_enrich.mapping.columns import map_columns
from csv_enrich.mapping.rows import ragged_rows
from csv_enrich.read import read_table
from csv_enrich.read.layout import EMPTY, FOOTER, group_kind, group_labels, non_data_rows

CELL = st.one_of(st.none(), st.just(""), st.just("  "), st.text(min_size=1, max_size=8))
ROW = st.lists(CELL, min_size=1, max_size=5).map(tuple)
LEAD = st.tuples(st.just("jane@acme.io"), st.just("Acme"), st.just("Jane Doe"))
FOOTERS = st.sampled_from([
    ("Grand Totals (12 records)",), ("Confidential Information - Do Not Distribute",),
    ("Copyright (c) 2000-2026 salesforce.com, inc. All rights reserved.",), ("",), (None, None),
    ("Total (3)", "42"),
])  # fmt: skip


def _filled(row: tuple[str | None, ...]) -> bool:
    return any(c is not None and c.strip() for c in row)


@given(st.lists(ROW, max_size=12))
def test_every_empty_row_is_not_data_and_no_filled_row_is_empty(rows: list[tuple]) -> None:
    found = non_data_rows(rows)
    for i, row in enumerate(rows):
        assert (found.get(i) == EMPTY) == (not _filled(row))


@given(st.lists(ROW, max_size=8), LEAD, st.lists(FOOTERS, max_size=6))
def test_a_footer_is_only_what_follows_the_last_lead(
    before: list[tuple], lead: tuple, footer: list[tuple]
) -> None:
    """Footer lines after the last lead are footers; the lead and what precedes it never are."""
    rows = [*before, lead, *footer]
    found = non_data_rows(rows)
    at = len(before)
    assert at not in found
    assert all(found.get(i) != FOOTER for i in range(at))
    for i, row in enumerate(footer, start=at + 1):
        assert found[i] == (FOOTER if _filled(row) else EMPTY)


@given(st.lists(st.one_of(st.none(), st.sampled_from(["Contact", "Company", "x"])), max_size=8),
       st.integers(0, 10))  # fmt: skip
def test_group_labels_span_to_the_next_label(above: list[str | None], width: int) -> None:
    labels = group_labels(above, width)
    if sum(1 for c in above if c) < 2:
        assert labels == ()
        return
    assert len(labels) == width
    for i, label in enumerate(labels):
        before = [c for c in above[: i + 1] if c]
        assert label == (before[-1] if before else None)


@given(st.lists(st.one_of(st.none(), st.sampled_from(["Contact", "Company"])), min_size=2,
                max_size=8), st.data())  # fmt: skip
def test_merged_spans_are_exact(above: list[str | None], data: st.DataObject) -> None:
    """With merged ranges known, a label heads exactly its span; a column outside every span
    is headed by its own cell only (None when empty)."""
    width = len(above)
    first = data.draw(st.integers(0, width - 1))
    last = data.draw(st.integers(first, width - 1))
    labels = group_labels(above, width, [(first, last)])
    if sum(1 for c in above if c) < 2:
        return
    for i in range(width):
        assert labels[i] == (above[first] if first <= i <= last else above[i])


def test_group_kinds() -> None:
    assert group_kind("Company") == group_kind("Account info") == "company"
    assert group_kind("Organisation") == group_kind("Organization") == "company"
    assert group_kind("Contact") == group_kind("Person") == "person"
    assert group_kind("Contact / Company") is None
    assert group_kind("Q3 leads") is None


@pytest.mark.parametrize("dropped", [1, 2, 3])
def test_a_short_row_that_still_fits_is_not_ragged(dropped: int, tmp_path: Path) -> None:
    """Trailing fields left out (the exporter dropped empty ones): read as it is."""
    path = tmp_path / "short.csv"
    fields = ["jane@acme.io", "Jane", "Doe", "Acme"]
    path.write_text("Email,First,Last,Company,Notes\n" + ",".join(fields[: 5 - dropped]) + "\n")
    table = read_table(path)
    assert ragged_rows(table, map_columns(table)) == {}
