"""The sheet XML of .xlsx/.xlsm files: a size check before calamine, and what calamine leaves out.

Before calamine loads a sheet, `sheet_xml` checks how far its values reach (one stray value at
XFD1048576 would make calamine allocate 17 billion cells and abort the process).

After, `apply_number_formats` puts back what a person sees: calamine hands over a number cell's
value (2134 for a ZIP code shown as "02134", 45356 for a date shown as "05/03/2024", true for
TRUE). The workbook's styles are read with defusedxml (the container was already checked for
DTDs and size); only the cells whose style has a number format that changes the text are
re-rendered, column-wise (read.styled_cells, one polars pass over the XML that also tells
whether booleans, errors or long numbers are there; the per-cell path remains for XML that is
not UTF-8). Cost for 100k rows x 12 columns with a zip and a date column: about 0.3 s of CPU,
spent while calamine loads the sheet (read.workbook runs the two side by side).
"""

from __future__ import annotations

import math
import posixpath
import re
import zipfile
import zlib
from collections.abc import Callable, Mapping
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from csv_enrich.errors import InputError
from csv_enrich.read.limits import PAST_Z_OR_999999
from csv_enrich.read.numfmt import BUILTIN_FORMATS, general_scientific, is_plain, render
from csv_enrich.read.styled_cells import (
    CellStream,
    Finds,
    Matches,
    find_cells,
    match_cells,
    place,
)
from csv_enrich.read.table import Grid

if TYPE_CHECKING:
    import polars as pl

_MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_REL = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
_PKG_REL = "{http://schemas.openxmlformats.org/package/2006/relationships}"
# A cell holding something: its start tag is followed by <v>, <f> or <is>.
_VALUE_ROW = re.compile(rb'<c\b[^>]*?\br="[A-Z]{1,3}(\d+)"[^>]*>(?=<[vfi])')
_VALUE_COLUMN = re.compile(rb'<c\b[^>]*?\br="([A-Z]{1,3})\d+"[^>]*>(?=<[vfi])')
_BOOLEAN = re.compile(
    rb'<c\b(?=[^>]*\bt="b")(?=[^>]*\br="([A-Z]{1,3})(\d+)")[^>]*>'
    rb"(?:<f\b[^>]*/>|<f\b[^>]*>[^<]*</f>)?<v>([01])</v>"
)
_FORMULA = rb"(?:<f\b[^>]*/>|<f\b[^>]*>[^<]*</f>)?"
_ERROR = re.compile(
    rb'<c\b(?=[^>]*\bt="e")(?=[^>]*\br="([A-Z]{1,3})(\d+)")[^>]*>' + _FORMULA + rb"<v>([^<]*)</v>"
)
_EXPONENT = re.compile(
    rb'<c\b(?=[^>]*\br="([A-Z]{1,3})(\d+)")(?![^>]*\bt="[^n"])[^>]*>' + _FORMULA
    + rb"<v>(-?\d+(?:\.\d+)?E[+-]\d+)</v>"
)  # fmt: skip
MAX_CELLS = 30_000_000
# What a damaged member can raise while it is unzipped and parsed (ParseError is a SyntaxError;
# an XML declaration naming an unknown encoding is a LookupError).
BROKEN = (
    KeyError, zipfile.BadZipFile, zlib.error, EOFError, OSError, ValueError, SyntaxError,
    LookupError,
)  # fmt: skip


def sheet_xml(path: Path, sheet: str, unzipped: Mapping[str, bytes] | None = None) -> bytes:
    """The XML of the sheet named `sheet` (b"" when it cannot be found), after checking that the
    cells holding values span a range calamine can hold: one stray value at XFD1048576 would
    make it allocate 17 billion cells and abort the process. `unzipped`: worksheets' XML by
    zip member, as the container check unzipped them (the others are unzipped here)."""
    return member_xml(path, sheet, unzipped)[1]


def member_xml(
    path: Path, sheet: str, unzipped: Mapping[str, bytes] | None = None
) -> tuple[str | None, bytes]:
    """sheet_xml, with the zip member it is (None when it cannot be found)."""
    member: str | None = None
    try:
        with zipfile.ZipFile(path) as archive:
            member = _sheet_member(archive, sheet)
            known = unzipped.get(member) if unzipped is not None and member else None
            data = known if known is not None else archive.read(member) if member else b""
    except BROKEN:
        return member, b""
    if (known is not None and member in getattr(unzipped, "compact", ())) or _small(data):
        return member, data
    rows, cols = _extent(data)
    if rows * cols > MAX_CELLS:
        raise InputError(
            f"{path}: sheet '{sheet}' has values spread over {rows:,} rows x {cols:,} columns, "
            "more than csv-enrich reads at once; delete stray cells far from the data, "
            "or save the sheet as CSV"
        )
    return member, data


_MERGE = re.compile(rb'<mergeCell\b[^>]*\bref="([A-Z]{1,3})(\d+):([A-Z]{1,3})(\d+)"')


def merged_ranges(data: bytes, first_col: int) -> dict[int, list[tuple[int, int]]]:
    """Frame row (0-based) -> the (first, last) grid columns of the merged ranges starting on
    it, from the sheet's <mergeCells>; `first_col` is the sheet column of grid column 0."""
    return ranges_at(merge_refs(data), first_col)


def merge_refs(data: bytes) -> list[tuple[int, int, int]]:
    """(row, first, last sheet column), 0-based, of each range in the sheet's <mergeCells>."""
    start = data.rfind(b"<mergeCells")
    return [
        (int(m.group(2)) - 1, _col_index(m.group(1)), _col_index(m.group(3)))
        for m in (_MERGE.finditer(data, start) if start >= 0 else ())
    ]


def ranges_at(refs: list[tuple[int, int, int]], first_col: int) -> dict[int, list[tuple[int, int]]]:
    """merged_ranges of merge_refs' ranges."""
    found: dict[int, list[tuple[int, int]]] = {}
    for row, first, last in refs:
        found.setdefault(row, []).append((first - first_col, last - first_col))
    return found


# No reference past column Z nor past row 999,999: at most 26 x 999,999 cells, whatever the
# references are (any other reference, or any look-alike, sends the sheet to the exact count).
_PAST_Z_OR_999999 = PAST_Z_OR_999999
assert MAX_CELLS >= 26 * 999_999


def _small(data: bytes) -> bool:
    """A sound shortcut for _extent's check: True only when the values cannot span more than
    MAX_CELLS (one search instead of reading every cell's reference)."""
    return not _PAST_Z_OR_999999.search(data)


def _extent(data: bytes) -> tuple[int, int]:
    """(rows, columns) between the first and last row and column holding a cell (as calamine
    counts them: by the cells' own references)."""
    rows = [int(r) for r in set(_VALUE_ROW.findall(data))]
    cols = [_col_index(c) for c in set(_VALUE_COLUMN.findall(data))]
    if not rows or not cols:
        return 0, 0
    return max(rows) - min(rows) + 1, max(cols) - min(cols) + 1


def apply_number_formats(
    path: Path, sheet: str, grid: Grid, first_col: int, data: bytes | None = None
) -> Grid:
    """The grid with cells whose number format changes what a person sees re-rendered.
    `first_col` is the sheet column (0-based) of the grid's first column; `data` the sheet's
    XML if already read."""
    cells = format_cells(path, sheet, data)
    return grid if cells is None else place(grid, cells, first_col)


def format_cells(path: Path, sheet: str, data: bytes | None = None) -> pl.DataFrame | None:
    """(row, col, text) of the cells calamine does not show as Excel does (booleans, errors,
    numbers past 15 digits, numbers whose style has a number format), in the order they are to
    be placed (a later one wins), rows and sheet columns 0-based; None when there are none.
    Needs only the sheet's XML (`data` if already read): it can run while calamine loads."""
    try:
        with zipfile.ZipFile(path) as archive:
            formats = _styled_formats(archive)
            member = _sheet_member(archive, sheet) if data is None else None
            data = archive.read(member) if member else data
    except BROKEN:
        return None
    if not data:
        return None
    finds = find_cells(data, formats)
    if finds is None:  # not UTF-8: cell by cell
        finds = Finds(
            cells_frame(_styled_cells(data, formats) if formats else []),
            b't="b"' in data, b't="e"' in data, bool(re.search(rb"<v>-?[\d.]+E", data)),
        )  # fmt: skip
    return joined_cells(marked_cells(data, finds), finds.cells)


def marked_cells(data: bytes, marks: Finds | Matches) -> list[tuple[int, int, str]]:
    """The booleans, errors and long numbers of format_cells, when the pass found markers."""
    found = _boolean_cells(data) if marks.booleans else []
    found += _error_cells(data) if marks.errors else []
    found += _general_exponents(data) if marks.exponents else []
    return found


def joined_cells(found: list[tuple[int, int, str]], styled: pl.DataFrame) -> pl.DataFrame | None:
    """format_cells' answer: the `found` cells, then the styled ones; None when there are none."""
    import polars as pl

    cells = [cells_frame(found)] if found else []
    if not styled.is_empty():
        cells.append(styled)
    return pl.concat(cells) if cells else None


def search_sheets(archive: zipfile.ZipFile) -> Callable[[bytes], Matches | None]:
    """For the container check (container.SheetSearch): match_cells of a sheet's XML with the
    workbook's number formats, as format_cells finds them (None when styles.xml cannot be
    read, or the XML is not UTF-8: format_cells then does it all as before). Called before
    the members are checked: styles.xml is read then only when it is small and sound (the
    sheets are then searched as they are unzipped), else once every member passed."""
    return SheetLook(archive, _early_formats(archive))


class SheetLook:
    """search_sheets' search: `formats` known before the check (None: read once needed)."""

    def __init__(self, archive: zipfile.ZipFile, formats: dict[int, str] | None) -> None:
        self.archive, self.formats, self.late = archive, formats, formats is None

    def stream(self) -> CellStream | None:
        """A search of a sheet as it is unzipped, when the formats are already known."""
        return None if self.formats is None else CellStream(self.formats)

    def __call__(self, data: bytes) -> Matches | None:
        if self.late:  # every member passed: styles.xml is read as before
            self.late = False
            try:
                self.formats = _styled_formats(self.archive)
            except BROKEN:
                self.formats = None
        return None if self.formats is None else match_cells(data, self.formats)


EARLY_STYLES = 8 << 20  # the most of styles.xml read before the members are checked


def _early_formats(archive: zipfile.ZipFile) -> dict[int, str] | None:
    """_styled_formats, read within bounds before the container check (a styles.xml of at
    most EARLY_STYLES bytes, unencrypted, sound); None when that cannot be told yet."""
    if "xl/styles.xml" not in archive.namelist():
        return {}
    try:
        info = archive.getinfo("xl/styles.xml")
        if info.flag_bits & 0x1 or info.file_size > EARLY_STYLES:
            return None
        with archive.open(info) as member:
            data = member.read(EARLY_STYLES + 1)
        if len(data) > EARLY_STYLES:
            return None
        return _formats_of(data)
    except Exception:  # anything at all: styles.xml is read after the check, as before
        return None


def _boolean_cells(data: bytes) -> list[tuple[int, int, str]]:
    """(row, column, TRUE/FALSE) of the boolean cells, which calamine gives as true/false."""
    return [
        (int(m.group(2)) - 1, _col_index(m.group(1)), "TRUE" if m.group(3) == b"1" else "FALSE")
        for m in _BOOLEAN.finditer(data)
    ]


def _error_cells(data: bytes) -> list[tuple[int, int, str]]:
    """(row, column, text) of the error cells (#DIV/0!, #N/A), which calamine leaves empty."""
    return [
        (int(m.group(2)) - 1, _col_index(m.group(1)), m.group(3).decode(errors="replace"))
        for m in _ERROR.finditer(data)
    ]


def _general_exponents(data: bytes) -> list[tuple[int, int, str]]:
    """(row, column, text) of numbers past Excel's 15 digits (or tinier than 1E-09), shown as
    General shows them ("1.5E+20"), not as the digits calamine spells out."""
    found: list[tuple[int, int, str]] = []
    for m in _EXPONENT.finditer(data):
        value = float(m.group(3))
        if not math.isfinite(value):  # past the largest float (1.8E+308): calamine's text kept
            continue
        if abs(value) >= 1e15 or 0 < abs(value) < 1e-9:
            found.append((int(m.group(2)) - 1, _col_index(m.group(1)), general_scientific(value)))
    return found


def _parse(archive: zipfile.ZipFile, member: str) -> Any:
    from defusedxml import ElementTree

    return ElementTree.fromstring(archive.read(member))


def _styled_formats(archive: zipfile.ZipFile) -> dict[int, str]:
    """Style index -> format code, for the styles whose format is not plain General."""
    if "xl/styles.xml" not in archive.namelist():
        return {}
    return _formats_of(archive.read("xl/styles.xml"))


def _formats_of(styles: bytes) -> dict[int, str]:
    """_styled_formats of styles.xml's bytes."""
    from defusedxml import ElementTree

    root = ElementTree.fromstring(styles)
    custom = {
        int(fmt.get("numFmtId", "0")): fmt.get("formatCode", "")
        for fmt in root.iter(f"{_MAIN}numFmt")
    }
    xfs = root.find(f"{_MAIN}cellXfs")
    out: dict[int, str] = {}
    for index, xf in enumerate(xfs if xfs is not None else []):
        fmt_id = int(xf.get("numFmtId", "0"))
        code = custom.get(fmt_id, BUILTIN_FORMATS.get(fmt_id, ""))
        if code and not is_plain(code):
            out[index] = code
    return out


def _sheet_member(archive: zipfile.ZipFile, sheet: str) -> str | None:
    """The zip member of the sheet named `sheet`, through workbook.xml and its relationships."""
    book = _parse(archive, "xl/workbook.xml")
    rels = _parse(archive, "xl/_rels/workbook.xml.rels")
    targets = {rel.get("Id"): rel.get("Target", "") for rel in rels.iter(f"{_PKG_REL}Relationship")}
    for node in book.iter(f"{_MAIN}sheet"):
        if node.get("name") == sheet:
            target = str(targets.get(node.get(f"{_REL}id"), ""))
            if target.startswith("/"):
                return target.lstrip("/")
            return posixpath.normpath(posixpath.join("xl", target)) if target else None
    return None


def _col_index(letters: bytes) -> int:
    index = 0
    for ch in letters:
        index = index * 26 + (ch - 64)
    return index - 1


def _styled_cells(data: bytes, formats: dict[int, str]) -> list[tuple[int, int, str]]:
    """(row, column, shown text) of the numeric cells whose style has a non-plain format, cell
    by cell (styled_cells does the same column-wise; this path is for XML that is not UTF-8)."""
    ids = b"|".join(str(i).encode() for i in sorted(formats))
    pattern = re.compile(
        rb'<c\b(?=[^>]*\bs="(' + ids + rb')")(?=[^>]*\br="([A-Z]{1,3})(\d+)")'
        rb'(?![^>]*\bt="[^n"])[^>]*>(?:<f\b[^>]*/>|<f\b[^>]*>[^<]*</f>)?<v>([^<]*)</v>'
    )
    found: list[tuple[int, int, str]] = []
    columns: dict[bytes, int] = {}
    for style, letters, row, value in pattern.findall(data):
        text = _shown(value, formats[int(style)])
        if text is not None:
            column = columns.get(letters)
            if column is None:
                column = columns[letters] = _col_index(letters)
            found.append((int(row) - 1, column, text))
    return found


@lru_cache(maxsize=4096)
def _shown(value: bytes, code: str) -> str | None:
    """render, once per recent (value, format): repeated zips and dates (bounded memory)."""
    return render(value.decode(), code)


def place_cells(grid: Grid, found: list[tuple[int, int, str]], first_col: int) -> Grid:
    """The grid with the `found` (row, sheet column, text) cells replaced (a later one winning
    at the same place); `first_col` is the sheet column of the grid's first column."""
    return place(grid, cells_frame(found), first_col) if found else grid


def cells_frame(found: list[tuple[int, int, str]]) -> pl.DataFrame:
    """(row, sheet column, text) cells as a frame for styled_cells.place."""
    import polars as pl

    schema = {"row": pl.Int64, "col": pl.Int64, "text": pl.String}
    return pl.DataFrame(found, schema=schema, orient="row")
