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
from csv_enrich.read.plaincsv import plain_bytes, plain_frame
from csv_enrich.read.rawtext import line_end, stat_of
from csv_enrich.read.source import _grid_from_frame, _grid_from_records, _head, read_table
from csv_enrich.read.table import Table, _emptied, blank_cells, build_table

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
    assert_frame_equal(_emptied(fast.frame), _emptied(slow.frame))  # "" or null: empty
    assert list(fast.row_numbers) == list(slow.row_numbers)
    assert fast.column_labels == slow.column_labels
    assert fast.records == slow.records
    assert fast.widths == slow.widths


def test_fast_path_is_taken_for_a_usual_export() -> None:
    text = 'Email,Name,Notes\r\na@x.com,"Doe, Jane","said ""hi"""\r\nb@y.com,Bob,\r\n,,\r\n'
    frame = plain_frame(text, ",")
    assert frame is not None
    assert frame.rows() == [
        ("Email", "Name", "Notes"), ("a@x.com", "Doe, Jane", 'said "hi"'),
        ("b@y.com", "Bob", None), (None, None, None),
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
    assert_frame_equal(_grid_from_frame(frame).frame, _emptied(_reference(at, ",").frame))
    past = 'a,"' + "x" * (limit + 1) + '"\n'
    assert plain_frame(past, ",") is None
    with pytest.raises(InputError, match="field larger than field limit"):
        _reference(past, ",")


def _reference_table(path: Path) -> Table:
    """read_table by the reference path: the text decoded, split by csv.reader."""
    _head(path)  # read_table's own checks first: the same errors
    text, delimiter, encoding = read_csv.prepare(path, path.read_bytes())
    grid = _grid_from_records(read_csv.split_records(path, text, delimiter, None))
    notes = read_csv.dialect_notes(delimiter, encoding)
    end = line_end(text[: text.find("\n") + 1] or text[: text.find("\r") + 1])
    return build_table(path, path.suffix[1:], grid, limit=None, delimiter=delimiter,
                       encoding=encoding, notes=notes, line_end=end or "\n",
                       source_stat=stat_of(path))  # fmt: skip


def assert_same_table(fast: Table, slow: Table) -> None:
    assert_frame_equal(fast.frame, slow.frame)
    assert_frame_equal(fast.blanked, slow.blanked)
    for name in ("headers", "source_rows", "header_row", "delimiter", "encoding", "notes",
                 "source_headers", "title_rows", "non_data", "widths", "header_width",
                 "beyond_header", "groups", "line_end", "source_stat"):  # fmt: skip
        assert getattr(fast, name) == getattr(slow, name), name


well_formed = st.one_of(
    st.text(safe_chars, max_size=6),
    st.text(plain_chars, max_size=6).map(lambda s: '"' + s.replace('"', '""') + '"'),
    st.sampled_from(["caf\xe9", "\u20ac", "\U0001f600", "N/A", " ", "Total: 3", ""]),
)
byte_cells = st.one_of(well_formed, well_formed, well_formed, well_formed, cells)
raw_bytes = st.sampled_from([b"\xff", b"\xc3", b"\xed\xa0\x80", b"\xe9", b"\x00", b"\r"])


@st.composite
def csv_bytes(draw: st.DrawFn) -> tuple[bytes, str]:
    delimiter = draw(st.sampled_from([",", ";", "\t", "|"]))
    width = draw(st.integers(1, 4))
    rows = draw(
        st.lists(st.lists(byte_cells, min_size=width, max_size=width), min_size=1, max_size=6)
    )
    ending = draw(st.sampled_from(["\n", "\r\n"]))
    text = ending.join(delimiter.join(r) for r in rows) + draw(st.sampled_from(["", ending]))
    data = text.encode("utf-8", errors="surrogatepass")
    if draw(st.integers(0, 4)) == 0:  # bytes that are not UTF-8, at the start, middle or end
        at = draw(st.integers(0, len(data)))
        data = data[:at] + draw(raw_bytes) + data[at:]
    prefix = draw(st.sampled_from([b"", b"", b"\xef\xbb\xbf", b"\xef\xbb\xbf\xef\xbb\xbf"]))
    return prefix + data, delimiter


@settings(max_examples=400, deadline=None)
@given(csv_bytes())
def test_read_table_from_bytes_is_the_reference_table(case: tuple[bytes, str]) -> None:
    """UTF-8 text split by polars from its bytes (and anything else, the other way) reads
    exactly as decoding it and splitting it with csv.reader: every cell, row number, width,
    note, the encoding and the delimiter."""
    data = case[0]
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp, "in.csv")
        path.write_bytes(data)
        try:
            slow = _reference_table(path)
        except InputError as exc:
            message = str(exc)
        else:
            assert_same_table(read_table(path), slow)
            return
        with pytest.raises(InputError) as fast_exc:
            read_table(path)
        assert str(fast_exc.value) == message


@settings(max_examples=300, deadline=None)
@given(csv_bytes())
def test_plain_bytes_is_plain_frame_of_the_text(case: tuple[bytes, str]) -> None:
    """Straight from the bytes, or from the decoded text: the same frame, or None; and the
    frame is csv.reader's grid."""
    data, delimiter = case
    frame = plain_bytes(data, delimiter)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        assert frame is None
        return
    other = plain_frame(text, delimiter)
    if frame is None or other is None:
        assert frame is None
        assert other is None
        return
    assert_frame_equal(frame, other)
    reference = _reference(text, delimiter).frame
    assert_frame_equal(_emptied(_grid_from_frame(frame).frame), _emptied(reference))


def test_the_head_decides_as_prepare_does_on_a_big_file(tmp_path: Path) -> None:
    """Past the sniffed head: a character cut by the head's end, semicolons, a BOM."""
    rows = "".join(f"Émile {i};caf\u00e9 \U0001f600;{i}\r\n" for i in range(30_000))
    for prefix in (b"", b"\xef\xbb\xbf"):
        for pad in range(4):  # the head's last byte falls in each byte of a character
            data = prefix + ("x" * pad + ";Name;N\r\n" + rows).encode("utf-8")
            path = tmp_path / f"big{pad}.csv"
            path.write_bytes(data)
            found = read_csv.utf8_dialect(path, data)
            text, delimiter, encoding = read_csv.prepare(path, data)
            assert found is not None
            assert (found[0].decode("utf-8"), found[1], found[2]) == (text, delimiter, encoding)
            assert_same_table(read_table(path), _reference_table(path))


def test_what_the_head_cannot_decide_is_left_to_prepare(tmp_path: Path) -> None:
    path = tmp_path / "in.csv"
    for data in [
        "a;b\r\n1;2\r\n".encode("utf-16"),  # UTF-16 (BOM)
        "a;b\r\n1;2\r\n".encode("utf-16-le"),  # UTF-16 without a BOM
        b"sep=;\r\na;b\r\n1;2\r\n",  # Excel's delimiter line
        b"a,b\r\ncaf\xe9,2\r\n",  # Windows-1252
        b"a,b\x01\x02\x03\x04\x05\x06\x07\x08\x0e\x0f\x10\x11\r\n",  # control characters
    ]:
        assert read_csv.utf8_dialect(path, data) is None, data
    data = b"a,b\r\n" + b"x,y\r\n" * 70_000 + b"caf\xe9,2\r\n"  # not UTF-8 past the head
    path.write_bytes(data)
    dialect = read_csv.utf8_dialect(path, data)
    assert dialect is not None
    assert plain_bytes(dialect[0], dialect[1]) is None
    table = read_table(path)
    assert table.encoding == "cp1252"
    assert table.frame.row(-1) == ("caf\u00e9", "2")
    assert_same_table(table, _reference_table(path))


def test_a_usual_export_is_split_from_its_bytes() -> None:
    data = b'Email,Name,Notes\r\na@x.com,"Doe, Jane","said ""hi"""\r\nb@y.com,Bob,\r\n'
    frame = plain_bytes(data, ",")
    assert frame is not None
    assert frame.rows() == [
        ("Email", "Name", "Notes"), ("a@x.com", "Doe, Jane", 'said "hi"'), ("b@y.com", "Bob", None)
    ]  # fmt: skip
    for odd in [
        data.replace(b"\r\nb@y", b"\nb@y"),  # both kinds of line end
        data + b"\r",  # a lone \r at the end
        data.replace(b"Bob", b"Bob,x"),  # ragged
        data.replace(b"Bob", b'"Bob"x'),  # text after a closing quote
        data.replace(b"Bob", b"B\xffb"),  # not UTF-8
        data + b"\r\n",  # a blank line
        b"\r\n" + data,  # a blank line first
    ]:
        assert plain_bytes(odd, ",") is None, odd
