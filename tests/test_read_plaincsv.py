"""The polars fast path for plain delimited text gives exactly csv.reader's grid, or steps aside."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from polars.testing import assert_frame_equal

from csv_enrich.errors import InputError
from csv_enrich.read import text as read_csv
from csv_enrich.read.plaincsv import plain_frame
from csv_enrich.read.source import _grid_from_frame, _grid_from_records, read_table
from csv_enrich.read.table import blank_cells

PATH = Path("leads.csv")

plain_chars = st.sampled_from(list("ab 1é,;\t|\"=0") + ["\u00a0", "\u2028", "\x1c", "\x85"])
safe_chars = st.sampled_from(list("ab 1é=0") + ["\u00a0", "\u2028", "\x1c", "\x85"])
odd_cells = st.one_of(
    st.text(plain_chars, max_size=6),  # delimiters and quotes unquoted
    st.text(st.sampled_from(list("ab,\n\r\" ")), max_size=5).map(lambda s: f'"{s}"'),
    st.sampled_from(['="00123"', '""', '"a"b', ' "a"', "\ufeff", "\r", "\x00", '"a""']),
)
cells = st.one_of(
    st.text(safe_chars, max_size=6),
    st.text(plain_chars, max_size=6).map(lambda s: '"' + s.replace('"', '""') + '"'),
    st.text(safe_chars, max_size=6),
    st.text(plain_chars, max_size=6).map(lambda s: '"' + s.replace('"', '""') + '"'),
    st.text(safe_chars, max_size=6),
    odd_cells,
)


@st.composite
def csv_texts(draw: st.DrawFn) -> tuple[str, str]:
    delimiter = draw(st.sampled_from([",", ";", "\t", "|"]))
    width = draw(st.integers(1, 4))
    rows = draw(st.lists(st.lists(cells, min_size=width, max_size=width), min_size=1, max_size=6))
    lines = [delimiter.join(r) for r in rows]
    if draw(st.integers(0, 3)) == 0:  # ragged rows, blank lines
        extra = draw(st.lists(st.sampled_from(["", "x", "a,b,c,d,e"]), max_size=2))
        lines = draw(st.permutations(lines + extra))
    ending = draw(st.sampled_from(["\n", "\r\n", "\n", "\r\n", "\r"]))
    text = ending.join(lines) + draw(st.sampled_from(["", ending, ending * 2]))
    return draw(st.sampled_from(["", "", "", "\ufeff"])) + text, delimiter


def _reference(text: str, delimiter: str):
    return _grid_from_records(read_csv.split_records(PATH, text, delimiter, None))


@settings(max_examples=800, deadline=None)
@given(csv_texts())
@example((',"="""', ","))  # ="" inside a quoted field: the reference path unwraps it to ""
def test_fast_path_gives_csv_readers_grid_or_none(case: tuple[str, str]) -> None:
    text, delimiter = case
    frame = plain_frame(text, delimiter)
    if frame is None:
        return
    fast, slow = _grid_from_frame(frame), _reference(text, delimiter)
    assert_frame_equal(fast.frame, slow.frame)
    assert fast.row_numbers == slow.row_numbers
    assert fast.column_labels == slow.column_labels
    assert fast.records == slow.records
    assert fast.widths == slow.widths


def test_fast_path_is_taken_for_a_usual_export() -> None:
    text = 'Email,Name,Notes\r\na@x.com,"Doe, Jane","said ""hi"""\r\nb@y.com,Bob,\r\n,,\r\n'
    frame = plain_frame(text, ",")
    assert frame is not None
    assert frame.rows() == [
        ("Email", "Name", "Notes"), ("a@x.com", "Doe, Jane", 'said "hi"'), ("b@y.com", "Bob", ""),
        ("", "", ""),
    ]  # fmt: skip
    assert _grid_from_frame(frame).records == [True, True, True, False]


def test_fast_path_steps_aside_for_what_it_cannot_prove() -> None:
    for text in [
        'a,b\n"x\ny",z\n',  # a quoted newline: records span lines
        "a,b\n\nc,d\n",  # a blank line
        "a,b\nc\n",  # ragged
        'a,b\n="001",c\n',  # ="..." cells
        'a,b\n"x"y,c\n',  # text after a closing quote
        "a,b\rc,d\r",  # lone \r line ends
        "a,b\n" + "x" * (read_csv_limit() + 1) + ",c\n",  # a field longer than csv allows
    ]:
        assert plain_frame(text, ",") is None, text


def read_csv_limit() -> int:
    import csv

    return csv.field_size_limit()


def test_read_table_uses_the_same_rows_either_way(tmp_path: Path) -> None:
    plain = tmp_path / "plain.csv"
    plain.write_text('Email,Name\na@x.com,"Doe, Jane"\nb@y.com,Bob\n', encoding="utf-8")
    quoted = tmp_path / "quoted.csv"  # a quoted newline: the csv.reader path
    quoted.write_text('Email,Name\na@x.com,"Doe, Jane"\nb@y.com,"Bob\nB"\n', encoding="utf-8")
    a, b = read_table(plain), read_table(quoted)
    assert a.frame.columns == b.frame.columns
    assert a.frame.head(1).rows() == b.frame.head(1).rows()
    assert a.source_rows[:2] == b.source_rows[:2] == (2, 3)


blank_ish = st.sampled_from(["", " ", "N/A", "#n/a", "[not provided]", "x", "a@b.io", "\u00a0"])


@settings(max_examples=150, deadline=None)
@given(st.lists(st.lists(blank_ish, min_size=3, max_size=3), min_size=1, max_size=8),
       st.sampled_from(["", "Report\n\n"]), st.sampled_from([None, 1, 3]))
def test_the_blanked_view_is_blank_cells_of_the_frame(
    rows: list[list[str]], title: str, limit: int | None
) -> None:
    """build_table hands over the blanked view it already made for finding the header; it is
    exactly blank_cells of the table's frame (placeholders, title rows, blank lines, --limit)."""
    text = title + "Email,Name,Notes\n" + "".join(",".join(r) + "\n" for r in rows)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp, "in.csv")
        path.write_text(text, encoding="utf-8")
        try:
            table = read_table(path, limit=limit)
        except InputError:
            return
        assert "blanked" in table.__dict__
        assert_frame_equal(table.blanked, blank_cells(table.frame))


def test_the_field_limit_is_csv_readers_exactly() -> None:
    """A field of exactly csv's limit (counted unquoted) is read either way; one more character
    is left to csv.reader, which refuses it."""
    limit = read_csv_limit()
    at = 'a,"' + '""' * 2 + "x" * (limit - 2) + '"\n'
    frame = plain_frame(at, ",")
    assert frame is not None
    assert_frame_equal(_grid_from_frame(frame).frame, _reference(at, ",").frame)
    past = 'a,"' + "x" * (limit + 1) + '"\n'
    assert plain_frame(past, ",") is None
    with pytest.raises(InputError, match="field larger than field limit"):
        _reference(past, ",")
