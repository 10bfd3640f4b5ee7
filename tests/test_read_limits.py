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
