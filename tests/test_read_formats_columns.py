"""Number formats applied column-wise give exactly what the per-cell path gives.

Three layers, each against the per-cell code it replaced: numfmt_columns.render_column against
numfmt.render on every value; styled_cells against sheet_xml._styled_cells (the look-ahead
regular expression over the sheet's bytes) on generated sheet XML with attributes in any order;
placing cells into the grid against the old list-based placement. Then the whole
apply_number_formats on every workbook in samples/ and two generated 2,000-row sheets.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import polars as pl
import pytest
import xlsxwriter
from hypothesis import example, given, settings
from hypothesis import strategies as st

from csv_enrich.errors import InputError
from csv_enrich.read import Grid
from csv_enrich.read import sheet_xml as sx
from csv_enrich.read import workbook as wb
from csv_enrich.read.numfmt import render
from csv_enrich.read.numfmt_columns import render_column
from csv_enrich.read.styled_cells import find_cells, pieces, place, styled_cells

SAMPLES = Path(__file__).resolve().parent.parent / "samples"

_DATE_TOKENS = [
    "y", "yy", "yyyy", "m", "mm", "mmm", "mmmm", "mmmmm", "d", "dd", "ddd", "dddd", "h", "hh",
    "s", "ss", "AM/PM", "am/pm", "A/P", "[h]", "[mm]", "[ss]", "[$-409]", "[Red]", "/", "-",
    " ", ":", ".", ",", '"at "', "\\T", "_)", "*-", "%", "e", "0", "@",
]  # fmt: skip
_CODES = [
    "00000", "0", "000000", "0000000000", "00000-0000", "m/d/yyyy", "dd/mm/yyyy", "yyyy-mm-dd",
    "yyyy-mm-dd hh:mm:ss", "h:mm AM/PM", "mmm d, yyyy", "[$-409]mmmm d, yyyy;@", "dddd",
    "d-mmm-yy", "[h]:mm:ss", "mm:ss", "hh:mm:ss.0", "#,##0.00", "0.00%", "0%", "# ?/?",
    "0.00E+00", "#,##0 ;(#,##0)", "00000;-00000", "yyyy;;0", "dd/mm/yyyy;00000", "General",
]  # fmt: skip
codes = st.one_of(
    st.sampled_from(_CODES),
    st.lists(st.sampled_from(_DATE_TOKENS), min_size=1, max_size=8).map("".join),
    st.integers(1, 12).map(lambda n: "0" * n),
)
numbers = st.one_of(
    st.integers(-(10**16), 10**16).map(str),
    st.floats(-1e7, 3e6, allow_nan=False).map(repr),
    st.floats(0, 3e6, allow_nan=False).map(lambda v: f"{v:.6f}"),
    st.integers(1, 2_958_470).map(str),
    # times within a microsecond or so of half a second (numfmt rounds to the second)
    st.tuples(st.integers(0, 60_000), st.integers(0, 86_399), st.integers(-20, 20)).map(
        lambda t: repr(t[0] + (t[1] + 0.5) / 86400 + t[2] * 1e-12)
    ),
    st.floats(1e-12, 1e22).map(lambda v: f"{v:E}"),
    st.sampled_from(["", " 12", "12 ", "1_000", "abc", "-0", "0.0", "nan", "inf", "1e999", "2.5",
                     "-2.5", "0.5", "1.5", "4.5", "+3", ".5", "5.", "1e5", "1E+05", "٣"]),
)  # fmt: skip


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(numbers, st.none()), max_size=40), codes)
@example(["45356", "45356.75", "0.5", "2134", "-0.4", "45356.5000001"], "dd/mm/yyyy hh:mm")
@example(["2958465", "2958464.99999", "1e15", "999999999999999.5", "-5"], "00000")
def test_render_column_is_render_on_every_value(values: list[str | None], code: str) -> None:
    """Each cell's text is numfmt.render's, null for null, for any value and format."""
    got = render_column(pl.Series(values, dtype=pl.String), code).to_list()
    assert got == [None if v is None else render(v, code) for v in values]


def test_render_gives_none_for_numbers_excel_cannot_show() -> None:
    """A value of 1e999 or nan under a format keeps calamine's text (it raised OverflowError
    and ValueError out of the read before); so does a date past year 9999 by a fraction."""
    assert render("1e999", "00000") is None
    assert render("nan", "0") is None
    assert render("2958465.9999999", "yyyy") is None
    assert render("2958465.99999", "yyyy-mm-dd hh:mm:ss") == "9999-12-31 23:59:59"


_ATTRS = st.sampled_from(['t="n"', 't="s"', 't="str"', 't="b"', 't="e"', 't=""', 'x:t="s"',
                          'cm="1"', 'vm="2"', 'ph="1"', 's="0"'])  # fmt: skip
_VALUES = st.sampled_from(["2134", "45356", "45356.75", "0", "-5", "1.5E+20", "12.5", "", "abc"])


@st.composite
def sheet_cells(draw: st.DrawFn) -> bytes:
    """A sheet's XML with cells written as different writers write them."""
    out = []
    for row in range(1, draw(st.integers(1, 8)) + 1):
        cells = []
        for col in draw(st.lists(st.sampled_from("ABCDHZ"), max_size=5)):
            attrs = [f'r="{col}{row}"'] if draw(st.booleans()) or row > 1 else []
            attrs += [f's="{draw(st.integers(0, 4))}"'] if draw(st.integers(0, 3)) else []
            attrs += draw(st.lists(_ATTRS, max_size=2))
            attrs = draw(st.permutations(attrs))
            sep = draw(st.sampled_from([" ", "  ", "\n", "\t"]))
            start = "<c" + "".join(sep + a for a in attrs)
            formula = draw(st.sampled_from(["", "<f>A1+1</f>", '<f t="shared" si="0"/>', "<f/>"]))
            body = draw(st.sampled_from(["v", "v", "empty", "is"]))
            if body == "v":
                cells.append(f"{start}>{formula}<v>{draw(_VALUES)}</v></c>")
            elif body == "is":
                text = draw(st.sampled_from(['x s="1"', 't="b"', 'a t="e" b', "&lt;v&gt;1E"]))
                cells.append(f"{start}><is><t>{text}</t></is></c>")
            else:
                cells.append(f"{start}/>")
        out.append(f'<row r="{row}" s="1" customFormat="1">{"".join(cells)}</row>')
    return ("<worksheet><sheetData>" + "".join(out) + "</sheetData></worksheet>").encode()


_FORMATS = st.dictionaries(
    st.integers(1, 4),
    st.sampled_from(["00000", "dd/mm/yyyy", "0.00%", "#,##0", "h:mm"]),
    min_size=1,
)


@settings(max_examples=300, deadline=None)
@given(sheet_cells(), _FORMATS)
def test_styled_cells_finds_what_the_per_cell_path_finds(
    data: bytes, formats: dict[int, str]
) -> None:
    """The same (row, column, text) cells in the same order, whatever the attribute order."""
    expected = sx._styled_cells(data, formats)
    for piece in (1, 40, 4 << 20):  # searched in pieces cut after every row, some, or none
        got = styled_cells(data, formats, piece)
        assert got is not None
        assert got.rows() == expected


@settings(max_examples=300, deadline=None)
@given(sheet_cells(), st.one_of(st.just({}), _FORMATS), st.sampled_from([1, 40, 4 << 20]))
def test_the_same_pass_tells_whether_booleans_errors_and_long_numbers_are_there(
    data: bytes, formats: dict[int, str], piece: int
) -> None:
    """The markers learnt beside the styled cells are what `in` and re.search say of the
    whole XML (inside a styled cell or not, across piece cuts)."""
    finds = find_cells(data, formats, piece)
    assert finds is not None
    assert finds.booleans == (b't="b"' in data)
    assert finds.errors == (b't="e"' in data)
    assert finds.exponents == bool(re.search(rb"<v>-?[\d.]+E", data))


def test_pieces_cover_the_sheet_and_cut_only_where_no_cell_can_cross() -> None:
    """Pieces are consecutive, cover every byte, and are cut after a </row> that no <v or <f
    follows (a cell match could only cross such a cut in XML that is not well formed, as
    here, and it still is found)."""
    data = b'<row r="1"><c r="A1" s="1" </row><v>5</v></c></row><row r="2"></row>x'
    cuts = pieces(data, 1)
    assert cuts == [(0, 51), (51, 68), (68, 69)]
    assert b"".join(data[a:b] for a, b in cuts) == data
    assert sx._styled_cells(data, {1: "000"}) == [(0, 0, "005")]
    got = styled_cells(data, {1: "000"}, 1)
    assert got is not None
    assert got.rows() == [(0, 0, "005")]


def test_xml_that_is_not_utf8_takes_the_per_cell_path() -> None:
    """A sheet whose bytes are not UTF-8 gives None (apply_number_formats then goes cell by
    cell, as before)."""
    data = b'<c r="A1" s="1"><v>7</v></c><c r="B1" t="inlineStr"><is><t>\xff</t></is></c>'
    assert styled_cells(data, {1: "000"}) is None
    assert sx._styled_cells(data, {1: "000"}) == [(0, 0, "007")]


def _place_listwise(grid: Grid, found: list[tuple[int, int, str]], first_col: int) -> Grid:
    """sheet_xml.place_cells as it was: each column rebuilt through a Python list."""
    by_column: dict[int, list[tuple[int, str]]] = {}
    for row, col, text in found:
        if 0 <= col - first_col < grid.frame.width and 0 <= row < grid.frame.height:
            by_column.setdefault(col - first_col, []).append((row, text))
    frame = grid.frame
    for c, cells in by_column.items():
        name = frame.columns[c]
        values = frame.get_column(name).to_list()
        for row, text in cells:
            values[row] = text
        frame = frame.with_columns(pl.Series(name, values, dtype=pl.String))
    return Grid(frame, grid.row_numbers, grid.column_labels)


@given(
    st.lists(st.tuples(st.integers(-2, 6), st.integers(0, 7), st.text(max_size=3)), max_size=30),
    st.integers(0, 3),
)
def test_place_writes_what_the_listwise_placement_wrote(
    found: list[tuple[int, int, str]], first_col: int
) -> None:
    """Cells land on the same places, a later one winning, those outside left out."""
    frame = pl.DataFrame({str(i): [f"{r}.{i}" if r % 2 else None for r in range(5)]
                          for i in range(4)})  # fmt: skip
    grid = Grid(frame, [1, 2, 3, 4, 5], ["A", "B", "C", "D"])
    got = place(grid, sx.cells_frame(found), first_col)
    assert got.frame.equals(_place_listwise(grid, found, first_col).frame)
    assert grid.frame.equals(frame)  # the grid given is left as it was


def _per_cell(path: Path, sheet: str, grid: Grid, first_col: int, data: bytes) -> Grid:
    """apply_number_formats as it was: every cell found by the bytes patterns, then placed."""
    import zipfile

    with zipfile.ZipFile(path) as archive:
        formats = sx._styled_formats(archive)
    found = sx._boolean_cells(data) + sx._error_cells(data) + sx._general_exponents(data)
    found += sx._styled_cells(data, formats) if formats else []
    return _place_listwise(grid, found, first_col)


def _grid_every_column(frame: pl.DataFrame) -> pl.DataFrame:
    """workbook._grid's frame as it was made: the midnight pattern run over every column."""
    shown = frame.select(
        pl.col(old).str.replace(wb._MIDNIGHT, "$1").alias(str(i))
        for i, old in enumerate(frame.columns)
    )
    return wb._general_floats(shown)


def _workbooks() -> list[Path]:
    return sorted([*SAMPLES.rglob("*.xlsx"), *SAMPLES.rglob("*.xlsm")])


def _generated(tmp_path: Path, styled: bool) -> Path:
    path = tmp_path / f"gen_{styled}.xlsx"
    with xlsxwriter.Workbook(path) as book:
        ws = book.add_worksheet("Leads")
        zip5 = book.add_format({"num_format": "00000"}) if styled else None
        when = book.add_format({"num_format": "dd/mm/yyyy hh:mm" if styled else "yyyy-mm-dd"})
        money = book.add_format({"num_format": "#,##0.00"})
        day = book.add_format({"num_format": "yyyy-mm-dd"})
        ws.write_row(0, 0, ["Email", "Zip", "Created", "Revenue", "Active", "Note", "Since"])
        for i in range(2000):
            ws.write_string(i + 1, 0, f"p{i}@acme{i % 7}.io")
            ws.write_number(i + 1, 1, i * 37 % 99999, zip5)
            moment = dt.datetime(2024, 1, 1) + dt.timedelta(minutes=i * 97, seconds=i % 60)
            ws.write_datetime(i + 1, 2, moment, when)
            ws.write_number(i + 1, 3, i * 1234.567, money)
            ws.write_boolean(i + 1, 4, i % 3 == 0)
            ws.write_string(i + 1, 5, "00501" if i % 5 else "text")
            ws.write_datetime(i + 1, 6, moment if i % 3 else dt.datetime(2024, 5, i % 28 + 1), day)
    return path


@pytest.mark.parametrize("styled", [False, True])
def test_generated_sheets_read_as_the_per_cell_path_reads_them(
    tmp_path: Path, styled: bool
) -> None:
    """2,000 rows of zips, date-times, amounts and booleans: the same grid both ways (dates
    at midnight among them, shown without the time)."""
    _same_both_ways(_generated(tmp_path, styled))


@pytest.mark.parametrize("path", _workbooks(), ids=lambda p: str(p.relative_to(SAMPLES)))
def test_every_sample_workbook_reads_as_the_per_cell_path_reads_it(path: Path) -> None:
    """Each sheet of each trap, golden and sample workbook gives the same grid both ways."""
    _same_both_ways(path)


def _same_both_ways(path: Path) -> None:
    try:
        wb.check_container(path, "xlsx", path.read_bytes()[:8])
        reader = wb._open(path)
    except InputError:
        return  # refused before any sheet is read: nothing to compare
    for index, name in enumerate(reader.sheet_names):
        try:
            data = sx.sheet_xml(path, name)
            frame, first_col = wb._load(path, reader, index, None)
        except InputError:
            continue
        grid = wb._grid(frame, first_col)
        assert grid.frame.equals(_grid_every_column(frame)), name
        got = sx.apply_number_formats(path, name, grid, first_col, data or None)
        assert got.frame.equals(_per_cell(path, name, grid, first_col, data).frame), name


@pytest.mark.parametrize("path", _workbooks(), ids=lambda p: str(p.relative_to(SAMPLES)))
def test_the_checked_sheets_are_the_bytes_the_zip_holds(path: Path) -> None:
    """The worksheets' XML the container check hands on is what unzipping them again gives."""
    try:
        unzipped = wb.check_container(path, "xlsx", path.read_bytes()[:8])
        names = wb._open(path).sheet_names
    except InputError:
        return
    assert unzipped
    for name in names:
        try:
            again = sx.sheet_xml(path, name)
        except InputError:
            continue
        assert sx.sheet_xml(path, name, unzipped) == again
        assert again == b"" or again in unzipped.values()
