"""sheet_xml's shortcut around counting every cell's reference is sound: it skips the count only
when the values cannot span more cells than calamine is allowed to allocate."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from csv_enrich.errors import InputError
from csv_enrich.read import read_table
from csv_enrich.read.limits import column_number
from csv_enrich.read.sheet_xml import MAX_CELLS, _extent, _small


def _letters(number: int) -> str:
    out = ""
    while number:
        number, rest = divmod(number - 1, 26)
        out = chr(65 + rest) + out
    return out


refs = st.tuples(
    st.one_of(st.integers(1, 30), st.integers(1, 16384)),
    st.one_of(st.integers(1, 1_200_000), st.integers(999_990, 1_048_576)),
)


def _sheet(cells: list[tuple[int, int]]) -> bytes:
    body = b"".join(
        f'<row r="{row}"><c r="{_letters(col)}{row}"><v>1</v></c></row>'.encode()
        for col, row in cells
    )
    return b"<worksheet><sheetData>" + body + b"</sheetData></worksheet>"


@given(st.lists(refs, min_size=1, max_size=6))
def test_the_shortcut_passes_only_sheets_within_the_limit(cells: list[tuple[int, int]]) -> None:
    data = _sheet(cells)
    rows, cols = _extent(data)
    if _small(data):
        assert rows * cols <= MAX_CELLS
    if any(col > 26 or row > 999_999 for col, row in cells):
        assert not _small(data)


def test_the_shortcut_takes_a_usual_sheet_and_leaves_a_stray_far_cell() -> None:
    assert column_number("Z") == 26
    usual = _sheet([(col, row) for row in (1, 2, 99_999) for col in range(1, 13)])
    assert _small(usual)
    assert not _small(_sheet([(1, 1), (16384, 1_048_576)]))
    assert _extent(_sheet([(1, 1), (16384, 1_048_576)])) == (1_048_576, 16384)


def test_a_stray_value_far_from_the_data_is_still_refused(tmp_path: Path) -> None:
    import xlsxwriter

    path = tmp_path / "stray.xlsx"
    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet("Leads")
    sheet.write("A1", "Email")
    sheet.write("A2", "a@x.io")
    sheet.write("AZ900000", 1)
    book.close()
    with pytest.raises(InputError, match=r"900,000 rows x 52 columns.*delete stray cells"):
        read_table(path)


def test_the_container_check_tells_which_sheets_skip_the_extent_search(tmp_path: Path) -> None:
    """check_container's `compact` sheets are exactly those _small passes (the scan learnt it
    while unzipping), so sheet_xml's shortcut takes the same sheets as before."""
    import xlsxwriter

    from csv_enrich.read.container import check_container

    path = tmp_path / "two.xlsx"
    book = xlsxwriter.Workbook(str(path))
    book.add_worksheet("Near").write("L99999", "a@x.io")
    book.add_worksheet("Far").write("AZ900000", 1)
    book.close()
    unzipped = check_container(path, "xlsx", path.read_bytes()[:8])
    assert len(unzipped) == 2
    for member, data in unzipped.items():
        assert (member in unzipped.compact) == _small(data)
    assert len(unzipped.compact) == 1
