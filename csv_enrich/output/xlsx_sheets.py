"""Carry the other sheets of an XLSX input, and the title rows above its header, into the output.

openpyxl reads the input read-only (streaming, formulas as written) and xlsxwriter writes each
cell back in row order: its value or formula, number format, font, fill, borders and alignment.
For the other sheets, the column widths, hidden columns, row heights, one-row merged ranges and
visibility follow too, read from the sheet's XML (defusedxml), which openpyxl's read-only mode
does not expose; so do the workbook's defined names. What cannot be carried (merges over several
rows, charts, images, comments) is named in a note.
"""

from __future__ import annotations

import posixpath
import warnings
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time
from pathlib import Path
from typing import Any

from csv_enrich.output.xlsx_summary import FIRST_TITLE, SUMMARY_MARK

_MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_REL = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
_PKG = "{http://schemas.openxmlformats.org/package/2006/relationships}"
_BORDERS = ("none", "thin", "medium", "dashed", "dotted", "thick", "double", "hair",
            "mediumDashed", "dashDot", "mediumDashDot", "dashDotDot", "mediumDashDotDot",
            "slantDashDot")  # fmt: skip
_VALIGN = {"center": "vcenter", "top": "top", "bottom": "bottom", "justify": "vjustify",
           "distributed": "vdistributed"}  # fmt: skip


@dataclass
class Layout:
    """What openpyxl's read-only mode does not give: widths, heights, merges."""

    columns: list[tuple[int, int, float | None, bool]] = field(default_factory=list)
    rows: dict[int, tuple[float | None, bool]] = field(default_factory=dict)
    merges: dict[tuple[int, int], tuple[int, int]] = field(default_factory=dict)
    tall_merges: int = 0
    used_columns: tuple[int, int] | None = None  # the <dimension>: first and last column used


class Source:
    """The input workbook, open read-only, and the formats made for its cell styles."""

    def __init__(self, path: Path, book: Any) -> None:
        import openpyxl

        self.path = path
        self.workbook = openpyxl.load_workbook(path, read_only=True, data_only=False)
        self.book = book
        self._formats: dict[tuple[int, ...], Any] = {}

    def close(self) -> None:
        self.workbook.close()

    def format_of(self, cell: Any) -> Any:
        """The xlsxwriter format for a cell's style (made once per distinct style)."""
        key = tuple(cell.style_array)
        if key not in self._formats:
            props = _style_props(cell)
            self._formats[key] = self.book.add_format(props) if props else None
        return self._formats[key]


def copy_sheet(source: Source, name: str) -> list[str]:
    """Write the input's sheet `name` into the output workbook; return notes on what was lost."""
    found = source.workbook[name] if name in source.workbook.sheetnames else None
    if found is None or not hasattr(found, "iter_rows"):
        return [f"Sheet {name!r} of the input could not be read and was not carried over."]
    sheet = source.book.add_worksheet(name)
    layout = read_layout(source.path, name)
    _apply_layout(sheet, layout)
    for row in found.iter_rows():
        for cell in row:
            if cell.value is not None or getattr(cell, "has_style", False):
                _copy_cell(sheet, cell, source, layout)
    if getattr(found, "sheet_state", "visible") != "visible":
        sheet.hide()
    return _lost(name, layout)


def copy_rows(source: Source, name: str, sheet: Any, rows: int, layout: Layout) -> None:
    """Copy the first `rows` rows of the input's sheet `name` (the title rows above its header)
    into `sheet`, with their values, styles and one-row merges (group headers such as A4:C4)."""
    found = source.workbook[name] if name in source.workbook.sheetnames else None
    above = Layout(merges={k: v for k, v in layout.merges.items() if k[0] < rows})
    for row in found.iter_rows(max_row=rows) if found is not None else ():
        for cell in row:
            if cell.value is not None or getattr(cell, "has_style", False):
                _copy_cell(sheet, cell, source, above)


def is_our_summary(source: Source, name: str) -> bool:
    """Whether the input's sheet `name` is the Summary sheet of an earlier csv-enrich run
    (its first title and the labels SUMMARY_MARK and "Report")."""
    found = source.workbook[name] if name in source.workbook.sheetnames else None
    if found is None or not hasattr(found, "iter_rows"):
        return False
    labels = [row[0] for row in found.iter_rows(max_row=80, max_col=1, values_only=True) if row]
    return bool(labels) and labels[0] == FIRST_TITLE and {SUMMARY_MARK, "Report"} <= set(labels)


def header_texts(source: Source, name: str, row: int) -> list[str]:
    """The texts of the input sheet's row `row` (1-based), by column from A ("" when empty)."""
    found = source.workbook[name] if name in source.workbook.sheetnames else None
    if found is None or row < 1:
        return []
    for cells in found.iter_rows(min_row=row, max_row=row, values_only=True):
        return ["" if v is None else str(v) for v in cells]
    return []


def column_looks(layout: Layout, count: int) -> dict[int, tuple[float | None, bool]]:
    """The input's own width (None: not set) and hidden state of columns 0..count-1."""
    looks: dict[int, tuple[float | None, bool]] = {}
    for first, last, width, hidden in layout.columns:
        for col in range(max(first, 0), min(last, count - 1) + 1):
            looks[col] = (characters(width), hidden)
    return looks


def copy_defined_names(source: Source) -> list[str]:
    """Workbook-level defined names (named ranges) of the input, as they were."""
    refused = []
    for name, defined in source.workbook.defined_names.items():
        if not defined.value or name.startswith("_xlnm."):
            continue
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            source.book.define_name(name, f"={defined.value}")
        refused += [name] if caught else []
    if not refused:
        return []
    return ["Defined names not carried over: " + ", ".join(refused) + "."]


def drawings_note(path: Path) -> list[str]:
    """A note when the input holds charts, images or comments, which are not carried."""
    with zipfile.ZipFile(path) as archive:
        names = archive.namelist()
    if any(n.startswith(("xl/drawings/", "xl/charts/", "xl/comments")) for n in names):
        return ["Charts, images and comments of the input workbook are not carried over."]
    return []


def _lost(name: str, layout: Layout) -> list[str]:
    if not layout.tall_merges:
        return []
    return [f"Sheet {name!r}: {layout.tall_merges} merged ranges over several rows are unmerged."]


def _copy_cell(sheet: Any, cell: Any, source: Source, layout: Layout) -> None:
    row, col, value = cell.row - 1, cell.column - 1, cell.value
    fmt = source.format_of(cell)
    if (row, col) in layout.merges:
        sheet.merge_range(row, col, row, layout.merges[(row, col)][1], None, fmt)
    if value is None:
        sheet.write_blank(row, col, None, fmt)
    elif cell.data_type == "f":
        sheet.write_formula(row, col, getattr(value, "text", None) or str(value), fmt)
    elif isinstance(value, bool):
        sheet.write_boolean(row, col, value, fmt)
    elif isinstance(value, int | float):
        sheet.write_number(row, col, value, fmt)
    elif isinstance(value, datetime | date | time):
        sheet.write_datetime(row, col, value, fmt or _date_format(source))
    else:
        sheet.write_string(row, col, str(value), fmt)


def _date_format(source: Source) -> Any:
    key = (-1,)
    if key not in source._formats:
        source._formats[key] = source.book.add_format({"num_format": "yyyy-mm-dd hh:mm:ss"})
    return source._formats[key]


# -- styles ----------------------------------------------------------------------------------


def _style_props(cell: Any) -> dict[str, Any]:
    """xlsxwriter format properties for a cell's openpyxl style (the common subset)."""
    props: dict[str, Any] = {}
    if cell.number_format and cell.number_format != "General":
        props["num_format"] = cell.number_format
    props |= _font_props(cell.font) | _fill_props(cell.fill) | _alignment_props(cell.alignment)
    for side in ("left", "right", "top", "bottom"):
        style = getattr(getattr(cell.border, side, None), "style", None)
        if style in _BORDERS:
            props[side] = _BORDERS.index(style)
    return props


def _font_props(font: Any) -> dict[str, Any]:
    props: dict[str, Any] = {}
    if font.b:
        props["bold"] = True
    if font.i:
        props["italic"] = True
    if font.u:
        props["underline"] = 2 if font.u == "double" else 1
    if font.strike:
        props["font_strikeout"] = True
    if font.sz and float(font.sz) != 11:
        props["font_size"] = float(font.sz)
    if font.name and font.name != "Calibri":
        props["font_name"] = font.name
    if colour := _rgb(font.color):
        props["font_color"] = colour
    return props


def _fill_props(fill: Any) -> dict[str, Any]:
    if getattr(fill, "fill_type", None) == "solid" and (colour := _rgb(fill.fgColor)):
        return {"pattern": 1, "bg_color": colour}
    return {}


def _alignment_props(alignment: Any) -> dict[str, Any]:
    props: dict[str, Any] = {}
    if alignment.horizontal and alignment.horizontal != "general":
        props["align"] = alignment.horizontal
    if alignment.vertical in _VALIGN:
        props["valign"] = _VALIGN[alignment.vertical]
    if alignment.wrap_text:
        props["text_wrap"] = True
    return props


def _rgb(colour: Any) -> str | None:
    """``#RRGGBB`` for an explicit ARGB colour; None for theme and indexed colours."""
    value = getattr(colour, "rgb", None)
    if isinstance(value, str) and len(value) == 8 and getattr(colour, "type", "rgb") == "rgb":
        return f"#{value[2:]}"
    return None


# -- layout from the sheet's XML -------------------------------------------------------------


def read_layout(path: Path, name: str, *, whole: bool = True) -> Layout:
    """Column widths, row heights and merged ranges of the sheet `name` of an XLSX file;
    `whole=False`: only what comes before the cells (columns and used range), which is quick."""
    layout = Layout()
    try:
        with zipfile.ZipFile(path) as archive:
            member = _sheet_member(archive, name)
            if member is not None:
                for element in _elements(archive, member, whole):
                    _collect(element, layout)
    except (KeyError, zipfile.BadZipFile, OSError, SyntaxError, ValueError):
        return Layout()
    return layout


def _elements(archive: zipfile.ZipFile, member: str, whole: bool) -> Iterator[Any]:
    from defusedxml.ElementTree import iterparse

    wanted = {f"{_MAIN}{t}" for t in ("col", "row", "mergeCell", "dimension")}
    with archive.open(member) as fh:
        for event, element in iterparse(fh, events=("start", "end")):
            if event == "start":
                if element.tag == f"{_MAIN}sheetData" and not whole:
                    return
                continue
            if element.tag in wanted:
                yield element
            if element.tag in (f"{_MAIN}row", f"{_MAIN}c"):
                element.clear()


def _collect(element: Any, layout: Layout) -> None:
    get = element.get
    if element.tag == f"{_MAIN}col":
        width = float(get("width")) if get("customWidth") in ("1", "true") else None
        hidden = get("hidden") in ("1", "true")
        layout.columns.append((int(get("min")) - 1, int(get("max")) - 1, width, hidden))
    elif element.tag == f"{_MAIN}row" and (get("customHeight") or get("hidden")):
        height = float(get("ht")) if get("customHeight") in ("1", "true") else None
        layout.rows[int(get("r")) - 1] = (height, get("hidden") in ("1", "true"))
    elif element.tag == f"{_MAIN}mergeCell":
        _merge(get("ref", ""), layout)
    elif element.tag == f"{_MAIN}dimension":
        _dimension(get("ref", ""), layout)


def _dimension(ref: str, layout: Layout) -> None:
    from xlsxwriter.utility import xl_cell_to_rowcol

    first, _, last = ref.partition(":")
    layout.used_columns = (xl_cell_to_rowcol(first)[1], xl_cell_to_rowcol(last or first)[1])


def _merge(ref: str, layout: Layout) -> None:
    from xlsxwriter.utility import xl_cell_to_rowcol

    first, _, last = ref.partition(":")
    (r1, c1), (r2, c2) = xl_cell_to_rowcol(first), xl_cell_to_rowcol(last or first)
    if r1 == r2:
        layout.merges[(r1, c1)] = (r2, c2)
    else:
        layout.tall_merges += 1


def characters(width: float | None) -> float | None:
    """The width xlsxwriter's set_column takes for a column stored as `width` in the file
    (xlsxwriter adds the cell padding, 5 pixels of 7 per character, when it writes)."""
    return width - 5 / 7 if width is not None and width > 2 else width


def _apply_layout(sheet: Any, layout: Layout) -> None:
    for first, last, width, hidden in layout.columns:
        options = {"hidden": True} if hidden else None
        sheet.set_column(first, last, characters(width), None, options)
    for row, (height, hidden) in sorted(layout.rows.items()):
        sheet.set_row(row, height, None, {"hidden": True} if hidden else None)


def _sheet_member(archive: zipfile.ZipFile, sheet: str) -> str | None:
    """The zip member holding the sheet named `sheet` (through workbook.xml and its rels)."""
    from defusedxml import ElementTree

    book = ElementTree.fromstring(archive.read("xl/workbook.xml"))
    rels = ElementTree.fromstring(archive.read("xl/_rels/workbook.xml.rels"))
    targets = {r.get("Id"): r.get("Target", "") for r in rels.iter(f"{_PKG}Relationship")}
    for node in book.iter(f"{_MAIN}sheet"):
        if node.get("name") == sheet and (target := targets.get(node.get(f"{_REL}id"))):
            return target.lstrip("/") if target.startswith("/") else posixpath.join("xl", target)
    return None
