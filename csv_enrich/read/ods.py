"""OpenDocument (.ods) cells as shown: the text LibreOffice stored next to each number.

calamine hands over a number cell's value (2134 for a ZIP code shown as "02134", a date as
"2024-03-05"); an .ods file also stores what the cell shows, in its <text:p>. This module streams
content.xml (with defusedxml; the container was already checked for DTDs and size), never
expanding repeated rows or columns, and puts the shown text of number, date and time cells in
place of calamine's.
"""

from __future__ import annotations

import zipfile
from pathlib import Path
from typing import IO, Any

from csv_enrich.errors import InputError
from csv_enrich.read.limits import EXCEL_COLUMNS, EXCEL_ROWS
from csv_enrich.read.sheet_xml import BROKEN, MAX_CELLS, place_cells
from csv_enrich.read.table import Grid

_TABLE_NS = "{urn:oasis:names:tc:opendocument:xmlns:table:1.0}"
_OFFICE_NS = "{urn:oasis:names:tc:opendocument:xmlns:office:1.0}"
_TEXT_P = "{urn:oasis:names:tc:opendocument:xmlns:text:1.0}p"
_TABLE = _TABLE_NS + "table"
_ROW = _TABLE_NS + "table-row"
_CELLS = (_TABLE_NS + "table-cell", _TABLE_NS + "covered-table-cell")
_NUMERIC = ("float", "percentage", "currency", "date", "time")


def check_ods(path: Path) -> None:
    """Refuse an .ods whose content.xml is not well-formed XML (calamine can loop forever on
    one) or whose values span more cells than calamine can hold; streams, never expands."""
    try:
        with zipfile.ZipFile(path) as archive, archive.open("content.xml") as content:
            rows, cols = _extent(content)
    except KeyError:
        raise InputError(f"{path}: not an OpenDocument spreadsheet (no content.xml)") from None
    except BROKEN:
        raise InputError(
            f"{path}: the spreadsheet is damaged (its XML is broken); open it in LibreOffice "
            "and save a copy"
        ) from None
    if rows > EXCEL_ROWS or cols > EXCEL_COLUMNS:
        raise InputError(
            f"{path}: the spreadsheet is damaged: a sheet has values on {rows:,} rows x {cols:,} "
            f"columns, past Excel's limits ({EXCEL_ROWS:,} rows x {EXCEL_COLUMNS:,} columns); it "
            "was not read — open it in LibreOffice and save a copy, or export CSV"
        )
    if rows * cols > MAX_CELLS:
        raise InputError(
            f"{path}: a sheet has values spread over {rows:,} rows x {cols:,} columns, more than "
            "csv-enrich reads at once; delete stray cells far from the data, or save it as CSV"
        )


def _extent(content: IO[bytes]) -> tuple[int, int]:
    """The largest (rows, columns) a table's values reach, counting repeats without expanding."""
    from defusedxml.ElementTree import iterparse

    rows = cols = row = col = last_row = 0
    for event, node in iterparse(content, events=("start", "end")):
        if event == "start":
            if node.tag == _TABLE:
                row = last_row = 0
            elif node.tag == _ROW:
                col, filled = 0, False
            continue
        if node.tag in _CELLS:
            repeat = int(node.get(_TABLE_NS + "number-columns-repeated", "1"))
            col += repeat
            if node.get(_OFFICE_NS + "value-type") is not None:
                cols, filled = max(cols, col), True
            node.clear()
        elif node.tag == _ROW:
            row += int(node.get(_TABLE_NS + "number-rows-repeated", "1"))
            last_row = row if filled else last_row
            rows = max(rows, last_row)
            node.clear()
    return rows, cols


def apply_shown_text(path: Path, sheet: str, grid: Grid, first_col: int) -> Grid:
    """The grid with number, date and time cells as the .ods file shows them."""
    try:
        with zipfile.ZipFile(path) as archive, archive.open("content.xml") as content:
            found = _shown_cells(content, sheet, grid.frame.width + first_col)
    except BROKEN:
        return grid
    return place_cells(grid, found, first_col)


def _shown_cells(content: IO[bytes], sheet: str, width: int) -> list[tuple[int, int, str]]:
    """(row, column, shown text) of the numeric cells of `sheet`, both 0-based."""
    from defusedxml.ElementTree import iterparse

    found: list[tuple[int, int, str]] = []
    inside, row, col = False, 0, 0
    for event, node in iterparse(content, events=("start", "end")):
        if event == "start":
            if node.tag == _TABLE:
                inside = node.get(_TABLE_NS + "name") == sheet
            elif node.tag == _ROW:
                col = 0
            continue
        if not inside:
            if node.tag == _ROW:
                node.clear()
            continue
        if node.tag in _CELLS:
            col = _cell(node, row, col, width, found)
        elif node.tag == _ROW:
            row += int(node.get(_TABLE_NS + "number-rows-repeated", "1"))
            node.clear()
        elif node.tag == _TABLE:
            break
    return found


def _cell(node: Any, row: int, col: int, width: int, found: list[tuple[int, int, str]]) -> int:
    """Record a numeric cell's shown text (for each repeat within the sheet); the next column."""
    repeat = int(node.get(_TABLE_NS + "number-columns-repeated", "1"))
    if node.get(_OFFICE_NS + "value-type") in _NUMERIC:
        text = "\n".join("".join(p.itertext()) for p in node.iter(_TEXT_P))
        if text:
            found.extend((row, c, text) for c in range(col, min(col + repeat, width)))
    node.clear()
    return col + repeat
