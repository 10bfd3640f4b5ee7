"""The enriched sheet's XML, rewritten as a stream: the input's cells as they were, new cells added.

The sheet is read in chunks and cut into its head (up to ``<sheetData>``), its rows one at a time,
and its tail (after ``</sheetData>``); memory stays flat however many rows the sheet has. A row
the output enriches gets the new cells after the input's last column holding a value; every
other byte of the sheet is passed on unchanged, so numbers, dates, booleans, formulas (with or
without a cached value), links, styles and everything else of the input stay as they were.
New text cells are inline strings (``t="inlineStr"``): sharedStrings.xml is left alone, and an
inline string is never a formula.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import IO

CHUNK = 1 << 20
_SHEET_DATA = re.compile(rb"<(\w+:)?sheetData\b[^>]*?(/?)>")
_ROW = re.compile(rb"<(?:\w+:)?row\b(?:[^>]*?/>|.*?</(?:\w+:)?row>)", re.S)
_CELL = re.compile(rb"<(?:\w+:)?c\b(?:[^>]*?/>|.*?</(?:\w+:)?c>)", re.S)
_ROW_NUMBER = re.compile(rb'^<(?:\w+:)?row\b[^>]*?\br="(\d+)"')
_CELL_COLUMN = re.compile(rb'^<(?:\w+:)?c\b[^>]*?\br="([A-Z]{1,3})\d+"')
_HOLDS_VALUE = re.compile(rb"^<(?:\w+:)?c\b[^>]*>\s*<(?:\w+:)?(?:v|f|is)\b")
_END = re.compile(rb"</(?:\w+:)?sheetData>")
_SPANS = re.compile(rb'\sspans="[^"]*"')
_OTHER = re.compile(rb"<!--.*?-->|<\?.*?\?>|[^<]+", re.S)
_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\r\x0e-\x1f\ufffe\uffff]")  # \r: XML would make it \n
_ESCAPE_LIKE = re.compile("_(x[0-9A-Fa-f]{4}_)")

Part = tuple[str, bytes]  # ("head" | "row" | "other" | "tail", bytes)


class SheetShapeError(ValueError):
    """The sheet's XML is not shaped as the rewrite expects (no <sheetData>, a cut row)."""


def sheet_parts(stream: IO[bytes]) -> Iterator[Part]:
    """The sheet cut into its head (through the <sheetData> start tag), each row, anything else
    between rows (whitespace, comments), and its tail (from </sheetData> to the end)."""
    buffer, pos = _read_head(stream)
    head_end = _SHEET_DATA.search(buffer)
    assert head_end is not None
    yield "head", buffer[: head_end.end()]
    pos = head_end.end()
    while True:
        if _END.match(buffer, pos):
            yield "tail", buffer[pos:] + stream.read()
            return
        kind, found = _next_part(buffer, pos)
        if found is not None and found.end() < len(buffer):
            yield kind, found.group()
            pos = found.end()
            continue
        more = stream.read(CHUNK)
        if not more:
            raise SheetShapeError("the sheet ends inside <sheetData>")
        buffer, pos = buffer[pos:] + more, 0


def _next_part(buffer: bytes, pos: int) -> tuple[str, re.Match[bytes] | None]:
    if buffer.startswith(b"<", pos) and not buffer.startswith((b"<!--", b"<?"), pos):
        return "row", _ROW.match(buffer, pos)
    return "other", _OTHER.match(buffer, pos)


def _read_head(stream: IO[bytes]) -> tuple[bytes, int]:
    buffer = b""
    while True:
        found = _SHEET_DATA.search(buffer)
        if found is not None:
            if found.group(2):
                raise SheetShapeError("the sheet has no rows")
            return buffer, 0
        more = stream.read(CHUNK)
        if not more:
            raise SheetShapeError("the sheet has no <sheetData>")
        buffer += more


def prefix_of(head: bytes) -> str:
    """The namespace prefix the sheet's elements carry ("" or e.g. "x:")."""
    found = _SHEET_DATA.search(head)
    return (found.group(1) or b"").decode() if found else ""


def row_number(row: bytes, previous: int) -> int:
    found = _ROW_NUMBER.match(row)
    return int(found.group(1)) if found else previous + 1


def last_value_column(row: bytes) -> int:
    """The 0-based column of the row's last cell holding a value (-1: none)."""
    last, column = -1, -1
    for cell in _CELL.finditer(row):
        column = _column(cell.group(), column)
        if _HOLDS_VALUE.match(cell.group()):
            last = max(last, column)
    return last


def _column(cell: bytes, previous: int) -> int:
    found = _CELL_COLUMN.match(cell)
    if found is None:
        return previous + 1
    index = 0
    for ch in found.group(1):
        index = index * 26 + (ch - 64)
    return index - 1


def add_cells(row: bytes, cells: list[bytes], first: int, last: int) -> bytes:
    """The row with `cells` (for columns first..last, in order) put in column order; an input
    cell in those columns (a styled blank: no value reaches there) gives way."""
    opened = re.match(rb"<(\w+:)?row\b[^>]*?(/?)>", row)
    if opened is None:
        raise SheetShapeError("a row without a start tag")
    prefix = opened.group(1) or b""
    start_tag = _SPANS.sub(b"", opened.group()[: -2 if opened.group(2) else -1]) + b">"
    body = b"" if opened.group(2) else row[opened.end() : row.rindex(b"</")]
    before, after, column, rest = [], [], -1, 0
    for cell in _CELL.finditer(body):
        column = _column(cell.group(), column)
        gap = body[rest : cell.start()]
        rest = cell.end()
        if column < first:
            before += [gap, cell.group()]
        elif column > last:
            after += [gap, cell.group()]
    trailer = body[rest:]
    return b"".join([start_tag, *before, *cells, *after, trailer, b"</", prefix, b"row>"])


# -- new cells ---------------------------------------------------------------------------------




def xml_text(value: str) -> str:
    """Text as cell XML holds it: markup escaped, characters XML cannot hold as _xHHHH_ (and a
    literal _xHHHH_ escaped, as Excel does)."""
    value = _ESCAPE_LIKE.sub(r"_x005F_\1", value)
    value = _ILLEGAL.sub(lambda m: f"_x{ord(m.group()):04X}_", value)
    return value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def text_cell(prefix: str, ref: str, value: str, style: int | None) -> bytes:
    s = f' s="{style}"' if style else ""
    p = prefix
    xml = (f'<{p}c r="{ref}"{s} t="inlineStr"><{p}is><{p}t xml:space="preserve">'
           f"{xml_text(value)}</{p}t></{p}is></{p}c>")  # fmt: skip
    return xml.encode("utf-8", "replace")


def number_cell(prefix: str, ref: str, value: float, style: int | None) -> bytes:
    s = f' s="{style}"' if style else ""
    shown = repr(value) if isinstance(value, float) else str(value)
    return f'<{prefix}c r="{ref}"{s}><{prefix}v>{shown}</{prefix}v></{prefix}c>'.encode()


CellMaker = Callable[[int, int], bytes | None]  # (sheet row 1-based, column) -> cell XML
