"""The container's search of a worksheet as it is unzipped (read.styled_cells.CellStream) finds
what match_cells finds of the whole XML (the reference): the same tags in the same order and
the same markers, candidates and row count, however the XML arrives; and the container hands
back the same Matches with the stream as with the search after every member passed."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from test_read_container_pass import _SHEET_BYTES, _STYLES, _workbooks, _zip
from test_read_formats_columns import _FORMATS, sheet_cells

from csv_enrich.read import container, sheet_xml, styled_cells
from csv_enrich.read.container import unzip_checked
from csv_enrich.read.sheet_xml import search_sheets
from csv_enrich.read.styled_cells import CellStream, Matches, match_cells, pieces


def _same(got: Matches | None, want: Matches | None) -> None:
    if want is None:
        assert got is None
        return
    assert got is not None
    assert got.tags.to_list() == want.tags.to_list()
    assert got.formats == want.formats
    assert (got.booleans, got.errors, got.exponents, got.candidates, got.rows) == (
        want.booleans, want.errors, want.exponents, want.candidates, want.rows,
    )  # fmt: skip


def _streamed(
    data: bytes, formats: dict[int, str], size: int, chunks: list[int]
) -> Matches | None:
    """CellStream fed `data` as a growing buffer, in chunks of the drawn sizes (cycled)."""
    stream = CellStream(formats, size)
    end, turn = 0, 0
    while end < len(data):
        end = min(len(data), end + chunks[turn % len(chunks)])
        turn += 1
        stream.feed(memoryview(data), end)
    return stream.result(data)


_XML = st.one_of(
    sheet_cells(),
    _SHEET_BYTES,
    st.lists(st.sampled_from([b"</row>", b"<v", b"<f", b"</row><v>1</v>", b"x", b"\xc3\xa9",
                              b"\xff", b'<c r="A1" s="1"><v>5</v></c>', b"<row r=\"1\">"]),
             max_size=30).map(b"".join),
)  # fmt: skip


@settings(max_examples=400, deadline=None)
@given(
    data=_XML,
    formats=st.one_of(st.just({}), _FORMATS),
    size=st.sampled_from([1, 2, 7, 40, 4 << 20]),
    chunks=st.lists(st.integers(1, 50), min_size=1, max_size=5),
)
def test_the_stream_finds_what_match_cells_finds(
    data: bytes, formats: dict[int, str], size: int, chunks: list[int]
) -> None:
    """Whatever the piece size and however the bytes come (a </row> or what follows it split
    between two reads, XML that is not UTF-8 or not well formed): match_cells' Matches."""
    _same(_streamed(data, formats, size, chunks), match_cells(data, formats, size))


def test_the_stream_cuts_where_pieces_cuts(monkeypatch: pytest.MonkeyPatch) -> None:
    """The pieces sent are those of styled_cells.pieces: a </row> followed by <v is no cut,
    nor is one whose next two bytes are not unzipped yet."""
    data = b'<row r="1"><c r="A1" s="1" </row><v>5</v></c></row><row r="2"></row>x'
    assert pieces(data, 1) == [(0, 51), (51, 68), (68, 69)]
    sent: list[bytes] = []

    def extract(piece: bytes, pattern: str) -> pl.Series:
        sent.append(piece)
        return pl.Series([], dtype=pl.String)

    monkeypatch.setattr(styled_cells, "_extract", extract)
    stream = CellStream({1: "000"}, 1)
    stream.feed(memoryview(data), 52)  # row 1's "</row>" and one byte after it
    assert sent == []
    stream.feed(memoryview(data), 53)  # "<r" after it: the cut is known
    assert sent == [data[:51]]
    stream.feed(memoryview(data), 69)  # row 2's "</row>" then one byte: the end is not known
    assert sent == [data[:51]]
    stream.result(data)
    assert sent == [data[:51], data[51:68], data[68:]]


@settings(max_examples=150, deadline=None)
@given(
    book=_workbooks(),
    pieces=st.tuples(st.integers(1, 64), st.integers(1, 64)),
    size=st.sampled_from([1, 40, 4 << 20]),
)
def test_the_container_hands_back_the_same_matches_streamed_or_not(
    tmp_path_factory: pytest.TempPathFactory, book: tuple[list[tuple[str, bytes]], int | None],
    pieces: tuple[int, int], size: int,
) -> None:  # fmt: skip
    """With styles.xml read before the check (the sheets searched as they are unzipped) or
    after it (each sheet searched whole): the same sheets, compact ones, Matches, refusal."""
    path = tmp_path_factory.mktemp("zip") / "book.xlsx"
    _zip(path, *book)

    def outcome() -> object:
        try:
            sheets = unzip_checked(path, search_sheets)
        except Exception as exc:  # noqa: BLE001 - the refusal is compared
            return str(exc)
        return dict(sheets), sorted(sheets.compact), dict(sheets.matched)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(container, "FIRST_PIECE", pieces[0])
        patch.setattr(container, "PIECE", pieces[1])
        patch.setattr(CellStream.__init__, "__defaults__", (size,))
        got = outcome()
        patch.setattr(sheet_xml, "EARLY_STYLES", -1)  # never early: searched after the check
        want = outcome()
    if isinstance(want, str) or isinstance(got, str):
        assert got == want
        return
    assert got[:2] == want[:2]
    assert got[2].keys() == want[2].keys()
    for name in want[2]:
        _same(got[2][name], want[2][name])


def test_a_large_or_unsound_styles_part_is_read_after_the_check(tmp_path: Path) -> None:
    """A styles.xml past EARLY_STYLES is not read before the members are checked:
    the sheets are then searched whole, with the formats as before (or none)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/styles.xml", _STYLES)
        archive.writestr("xl/worksheets/sheet1.xml", b'<c r="A1" s="1"><v>5</v></c>')
    path = tmp_path / "book.xlsx"
    path.write_bytes(buffer.getvalue())
    with zipfile.ZipFile(path) as archive:
        assert search_sheets(archive).stream() is not None
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(sheet_xml, "EARLY_STYLES", len(_STYLES) - 1)
            late = search_sheets(archive)
            assert late.stream() is None
            found = late(b'<c r="A1" s="1"><v>5</v></c>')
    assert found is not None
    assert found.tags.to_list() == ['<c r="A1" s="1"><v>5</v>']
