""".ods in, XLSX out: the cells whose type the input knows come back as numbers, dates and booleans.

An .ods file stores each cell's type and value (office:value-type, office:value,
office:date-value, office:boolean-value) next to the text it shows. A number or date cell is
written as a number cell with the first common format that shows exactly the same text (General,
0.00, #,##0, 0%, 00000, yyyy-mm-dd, dd/mm/yyyy...; rendered by read.numfmt); when none does, it
stays the text it showed, as before, so nothing a person sees changes. Booleans become booleans.
content.xml is streamed with defusedxml (the reader already checked the container).
"""

from __future__ import annotations

import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from csv_enrich.output.xlsx_numbers import as_number, is_plain_number
from csv_enrich.read.numfmt import render

if TYPE_CHECKING:
    from csv_enrich.read.table import Table

_TABLE_NS = "{urn:oasis:names:tc:opendocument:xmlns:table:1.0}"
_OFFICE_NS = "{urn:oasis:names:tc:opendocument:xmlns:office:1.0}"
_TEXT_P = "{urn:oasis:names:tc:opendocument:xmlns:text:1.0}p"
_CELLS = (_TABLE_NS + "table-cell", _TABLE_NS + "covered-table-cell")
_EPOCH = datetime(1899, 12, 30)
FORMATS = ("0", "0.0", "0.00", "#,##0", "#,##0.00", "0%", "0.0%", "0.00%", "00000",
           "yyyy-mm-dd", "yyyy-mm-dd hh:mm", "yyyy-mm-dd hh:mm:ss", "dd/mm/yyyy", "mm/dd/yyyy",
           "d/m/yyyy", "m/d/yyyy", "dd.mm.yyyy", "dd/mm/yyyy hh:mm", "mm/dd/yyyy hh:mm",
           "d mmm yyyy", "mmm d, yyyy", "dd-mmm-yyyy")  # fmt: skip


@dataclass(frozen=True)
class Typed:
    """A cell as a number (with the format that shows its text; None: General) or a boolean."""

    value: float | bool
    num_format: str | None = None


def typed_cells(table: Table) -> dict[tuple[int, int], Typed]:
    """(data row index, table column) -> the typed cell, for an .ods or .xls input; else
    nothing."""
    if table.sheet is None or table.header_row < 1:
        return {}
    if table.format == "xls":
        return _xls_cells(table)
    if table.format != "ods":
        return {}
    rows = {r - 1: i for i, r in enumerate(table.source_rows)}
    try:
        with zipfile.ZipFile(table.path) as archive, archive.open("content.xml") as content:
            cells = list(_cells(content, table.sheet, table.header_row - 1, rows))
    except (KeyError, OSError, ValueError, SyntaxError, zipfile.BadZipFile):
        return {}
    header = {c: text for r, c, kind, _, text in cells if r == table.header_row - 1}
    columns = _columns(header, table.source_headers or table.headers)
    found: dict[tuple[int, int], Typed] = {}
    for r, c, kind, raw, text in cells:
        if r in rows and c in columns and (typed := _typed(kind, raw, text)) is not None:
            found[(rows[r], columns[c])] = typed
    return found


def _columns(header: dict[int, str], names: tuple[str, ...]) -> dict[int, int]:
    """Sheet column -> table column, matching the header texts left to right."""
    out: dict[int, int] = {}
    free = sorted(header)
    for j, name in enumerate(names):
        match = next((c for c in free if header[c].strip() == name.strip()), None)
        if match is None:
            return {}
        out[match] = j
        free = [c for c in free if c > match]
    return out


def _cells(
    content: Any, sheet: str, header_at: int, rows: dict[int, int]
) -> Iterator[tuple[int, int, str, str, str]]:
    """(row, column, value type, value, shown text) of the sheet's header and data cells."""
    from defusedxml.ElementTree import iterparse

    inside, row, col = False, 0, 0
    for event, node in iterparse(content, events=("start", "end")):
        if event == "start":
            if node.tag == _TABLE_NS + "table":
                inside = node.get(_TABLE_NS + "name") == sheet
            elif node.tag == _TABLE_NS + "table-row":
                col = 0
            continue
        if inside and node.tag in _CELLS:
            repeat = int(node.get(_TABLE_NS + "number-columns-repeated", "1"))
            if (row == header_at or row in rows) and repeat < 1_000:
                text = "\n".join("".join(p.itertext()) for p in node.iter(_TEXT_P))
                kind = node.get(_OFFICE_NS + "value-type") or ""
                for c in range(col, col + repeat):
                    yield row, c, kind, _value(node, kind), text
            col += repeat
            node.clear()
        elif node.tag == _TABLE_NS + "table-row":
            row += int(node.get(_TABLE_NS + "number-rows-repeated", "1")) if inside else 0
            node.clear()
        elif inside and node.tag == _TABLE_NS + "table":
            return


def _value(node: Any, kind: str) -> str:
    name = {"date": "date-value", "boolean": "boolean-value"}.get(kind, "value")
    return str(node.get(_OFFICE_NS + name, ""))


def _typed(kind: str, raw: str, text: str) -> Typed | None:
    if kind == "boolean" and raw in ("true", "false"):
        return Typed(raw == "true")
    if kind in ("float", "percentage", "currency"):
        number = _float(raw)
    elif kind == "date":
        number = _serial(raw)
    else:
        return None
    if number is None or not text:
        return None
    if kind != "date" and is_plain_number(text) and as_number(text) == number:
        return Typed(number)
    padded = ("0" * len(text),) if text.isdigit() and text.startswith("0") else ()
    code = next((f for f in (*padded, *FORMATS) if render(repr(number), f) == text), None)
    return None if code is None else Typed(number, code)


def _float(raw: str) -> float | None:
    try:
        return float(raw)
    except ValueError:
        return None


def _serial(raw: str) -> float | None:
    """An ODS date-value (2024-03-05 or 2024-03-05T10:30:00) as an Excel serial number."""
    try:
        moment = datetime.fromisoformat(raw)
    except ValueError:
        return None
    return (moment - _EPOCH).total_seconds() / 86_400


# -- .xls: calamine's own types, column by column -------------------------------------------------

_KINDS = {"Float64": "float", "Int64": "float", "Datetime": "date", "Date": "date",
          "Boolean": "boolean"}  # fmt: skip


def _xls_cells(table: Table) -> dict[tuple[int, int], Typed]:
    """The .xls sheet read again with calamine's types (in a child process, as the reader does):
    a column calamine reads as numbers, dates or booleans gives typed cells."""
    from csv_enrich.read.isolated import IsolatedReadFailed, read_isolated_typed

    assert table.sheet is not None
    try:
        frame = read_isolated_typed(table.path, table.sheets.index(table.sheet), table.header_row)
    except (IsolatedReadFailed, ValueError, OSError):
        return {}
    names = table.source_headers or table.headers
    found: dict[tuple[int, int], Typed] = {}
    for j, name in enumerate(names):
        kind = _KINDS.get(str(frame.schema.get(name, "")).split("(")[0])
        if kind is None:
            continue
        column = frame.get_column(name).to_list()
        for i, (row, text) in enumerate(
            zip(table.source_rows, table.frame.get_column(table.headers[j]).to_list(), strict=True)
        ):
            k = row - table.header_row - 1
            if text is not None and 0 <= k < len(column) and column[k] is not None:
                typed = _typed(kind, _raw(column[k]), text)
                if typed is not None:
                    found[(i, j)] = typed
    return found


def _raw(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return repr(float(value))  # type: ignore[arg-type]
