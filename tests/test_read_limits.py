"""Sheets past Excel's limits are refused from a stream of their XML (read.limits, issue 12)."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from csv_enrich.errors import InputError
from csv_enrich.read.limits import EXCEL_ROWS, SheetScan, column_number, office_kind

HEAD = b'<worksheet><dimension ref="A1:C3"/><sheetData>'


def _verdict(xml: bytes, cuts: list[int]) -> str | None:
    scan = SheetScan(Path("x.xlsx"), "xl/worksheets/sheet1.xml")
    points = sorted({min(c, len(xml)) for c in cuts})
    pieces = [xml[a:b] for a, b in zip([0, *points], [*points, len(xml)], strict=True)]
    try:
        for piece in pieces:
            scan.feed(piece)
    except InputError as exc:
        return str(exc).split("declares ")[1].split(",")[0]
    return None


SHEETS = [
    HEAD + b'<row r="1"><c r="A1"><v>1</v></c></row></sheetData></worksheet>',
    HEAD + b'<row r="1048577"><c r="A1048577"><v>1</v></c></row></sheetData></worksheet>',
    HEAD + b'<row r="2"><c r="XFE2"><v>1</v></c></row></sheetData></worksheet>',
    HEAD + b'<row r="2"><c r="XFD2"><v>1</v></c></row><row r="1048576"/></sheetData>',
    b'<worksheet><dimension ref="A1:XFD1048577"/>',
    HEAD + b'<row\nr="2000000"/></sheetData><pageSetup firstPageNumber="2000000"/>',
    HEAD + b'</sheetData><pageSetup firstPageNumber="2000000" footer="XFE1"/>',
]


@pytest.mark.parametrize("index", range(len(SHEETS)))
@given(cuts=st.lists(st.integers(0, 200), max_size=6))
def test_the_verdict_does_not_depend_on_how_the_stream_is_cut(index: int, cuts: list[int]) -> None:
    """However the zip stream hands the XML over, the same sheets are refused for the same
    reason; those within the limits (XFD, row 1,048,576) pass."""
    expected = [None, "a row numbered 1", "a cell at XFE2", None, "a size of 1",
                "a row numbered 2", None][index]  # fmt: skip
    got = _verdict(SHEETS[index], cuts)
    assert (got is None) == (expected is None)
    if expected:
        assert got is not None
        assert got.startswith(expected)


def test_row_count_without_numbers() -> None:
    """Rows without an r attribute are counted; one past the limit is refused."""
    scan = SheetScan(Path("x.xlsx"), "s")
    scan.feed(b"<sheetData>" + b"<row/>" * EXCEL_ROWS)
    with pytest.raises(InputError, match="more than 1,048,576 rows"):
        scan.feed(b"<row><c/></row>")


@given(st.integers(1, 16384))
def test_column_number_inverts_excel_letters(number: int) -> None:
    letters, n = "", number
    while n:
        n, rem = divmod(n - 1, 26)
        letters = chr(65 + rem) + letters
    assert column_number(letters) == number


def test_office_kinds() -> None:
    assert office_kind(["word/document.xml"]) == ("a Word document (.docx)", "Word")
    assert office_kind(["xl/workbook.xml"]) is None
    assert office_kind(ole_head="PowerPoint Document".encode("utf-16-le"))[1] == "PowerPoint"


# The scan before it learnt `far_reach` (one _FAR search, then sheet_xml's own search): the
# reference the candidate search is checked against.
def _reference(xml: bytes, cuts: list[int]) -> tuple[str | None, bool]:
    import re

    from csv_enrich.read import limits

    scan = SheetScan(Path("x.xlsx"), "xl/worksheets/sheet1.xml")
    points = sorted({min(c, len(xml)) for c in cuts})
    pieces = [xml[a:b] for a, b in zip([0, *points], [*points, len(xml)], strict=True)]
    past = re.compile(rb'r="[A-Z](?:[A-Z]|\d{7})')
    rows = 0
    fed = 0
    try:
        for piece in pieces:
            text = scan.tail + piece
            if scan.seen < limits.DIMENSION_WITHIN:
                scan._dimension(text)
            scan.seen += len(piece)
            rows += piece.count(b"<row") - piece.count(b"<rowBreaks")
            if rows > limits.EXCEL_ROWS:
                scan._refuse(f"more than {limits.EXCEL_ROWS:,} rows")
            for far in limits._FAR.finditer(text):
                if text[far.start() - 1 : far.start()] not in (b" ", b"\t", b"\r", b"\n"):
                    continue
                ref = far.group(1).decode()
                if not ref.isdigit():
                    scan._refuse(f"a cell at {ref}, past column XFD")
                if int(ref) > EXCEL_ROWS:
                    scan._refuse(f"a row numbered {int(ref):,}")
            scan.tail = text[-limits._OVERLAP :]
            fed += 1
    except InputError as exc:
        return f"{exc} (piece {fed})", True
    return None, bool(past.search(xml))


def _scanned(xml: bytes, cuts: list[int]) -> tuple[str | None, bool]:
    scan = SheetScan(Path("x.xlsx"), "xl/worksheets/sheet1.xml")
    points = sorted({min(c, len(xml)) for c in cuts})
    fed = 0
    try:
        for a, b in zip([0, *points], [*points, len(xml)], strict=True):
            scan.feed(xml[a:b])
            fed += 1
    except InputError as exc:
        return f"{exc} (piece {fed})", True
    return None, scan.far_reach


_LETTERS = st.sampled_from(["A", "Z", "AA", "XFD", "XFE", "XG", "YAA", "ZZZ", "AAAA", "B", ""])
_NUMBERS = st.sampled_from(["1", "999999", "1000000", "1048576", "1048577", "12345678", ""])
_REF = st.tuples(st.sampled_from([" ", "\n", "x", "\t", ""]), _LETTERS, _NUMBERS).map(
    lambda p: f'{p[0]}r="{p[1]}{p[2]}"'
)
_PART = st.one_of(
    _REF.map(lambda ref: f"<c{ref}><v>1</v></c>"),
    _REF.map(lambda ref: f"<row{ref}>"),
    st.sampled_from(["</row>", "<rowBreaks/>", '<c r="A1" s="1"/>', "r=", '"', 'R="AB1"']),
)


@given(
    parts=st.lists(_PART, max_size=30),
    cuts=st.lists(st.integers(0, 600), max_size=6),
)
def test_the_candidate_search_refuses_and_reaches_as_the_two_searches_did(
    parts: list[str], cuts: list[int]
) -> None:
    """One search for both patterns gives the same refusal (message and which one first) as
    the _FAR search, and `far_reach` is sheet_xml's own search over the whole XML, however the
    stream is cut."""
    xml = HEAD + "".join(parts).encode() + b"</sheetData></worksheet>"
    assert _scanned(xml, cuts) == _reference(xml, cuts)


def test_far_reach_of_usual_and_far_sheets() -> None:
    assert _scanned(SHEETS[0], []) == (None, False)
    assert _scanned(HEAD + b'<row r="2"><c r="AA2"><v>1</v></c></row>', [30]) == (None, True)
    assert _scanned(HEAD + b'<row r="1000000"/>', [3]) == (None, False)  # digits only: a row
    assert _scanned(HEAD + b'<c r="B1000000"/>', [60]) == (None, True)


@given(
    parts=st.lists(st.sampled_from(["<row/>", "<rowBreaks/>", "<row>", "</row>", "<c/>", "x"])),
    limit=st.integers(0, 8),
    cuts=st.lists(st.integers(0, 200), max_size=8),
)
def test_rows_are_refused_at_the_same_piece_with_breaks_counted_late(
    parts: list[str], limit: int, cuts: list[int]
) -> None:
    """<rowBreaks> are taken off only once the <row> tags pass the limit: the same sheets are
    refused, at the same piece (a small limit stands in for Excel's)."""
    from csv_enrich.read import limits

    xml = HEAD + "".join(parts).encode()
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(limits, "EXCEL_ROWS", limit)
        got, want = _scanned(xml, cuts), _reference(xml, cuts)
    assert got == want
