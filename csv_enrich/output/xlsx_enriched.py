"""The enriched sheet of a patched workbook: its XML rewritten row by row (see xlsx_rows).

The head gets the used range widened and the new columns' widths; the header row and each data
row get their new cells; the tail gets the input's filter on the header row widened to the new
columns and the links made on purpose (one relationship each, listed in `EnrichedSheet.links`).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import IO, Protocol

from csv_enrich.models import Kind, columns_for
from csv_enrich.output.xlsx_parts import REL_NS, Looks, add_links, insert_before_close, prefix_for
from csv_enrich.output.xlsx_rows import (
    add_cells,
    number_cell,
    prefix_of,
    row_number,
    sheet_parts,
    text_cell,
)
from csv_enrich.read.workbook import column_letter as column_letters

CELL_LIMIT = 32_767
WIDTH_SAMPLE = 500


class Links(Protocol):
    """The writer's link budget (Excel's links per sheet)."""

    def take(self) -> bool: ...


@dataclass
class NewColumns:
    """The appended columns: names, values by column then row, and how links are made."""

    kind: Kind
    names: Sequence[str]
    values: Sequence[Sequence[str | int | None]]
    links: Links
    link_of: Callable[[str, str], str | None]  # (column role, value) -> link target or None
    status_colours: dict[str, tuple[str, str]]


@dataclass
class EnrichedSheet:
    """What the rewrite of the enriched sheet needs and collects."""

    prefix: str
    first: int
    header_row: int
    data_rows: dict[int, int]
    looks: Looks
    link_stem: str = "rIdCsvEnrich"
    links: list[tuple[str, str]] = field(default_factory=list)
    cut: int = 0


def rewrite(stream: IO[bytes], new: NewColumns, sheet: EnrichedSheet) -> Iterator[bytes]:
    """The sheet's XML with the new columns, chunk by chunk; every other byte as it was."""
    last = sheet.first + len(new.names) - 1
    roles = columns_for(new.kind)
    letters = [column_letters(sheet.first + k) for k in range(len(new.names))]
    links: list[tuple[str, str]] = []
    current = 0
    root = b""
    for kind, part in sheet_parts(stream):
        if kind == "head":
            sheet.prefix = prefix_of(part)
            root = part
            yield _head(part, new, sheet, last)
        elif kind == "row":
            current = row_number(part, current)
            cells = _cells(current, new, sheet, roles, letters, links)
            yield add_cells(part, cells, sheet.first, last) if cells else part
        elif kind == "tail":
            yield _tail(part, root, sheet, links, last)
        else:
            yield part


def _cells(
    row: int,
    new: NewColumns,
    sheet: EnrichedSheet,
    roles: Sequence[str],
    letters: Sequence[str],
    links: list[tuple[str, str]],
) -> list[bytes]:
    """The new cells of sheet row `row`: the header's names, a data row's values, else none."""
    if row == sheet.header_row:
        return [
            text_cell(sheet.prefix, f"{c}{row}", name, sheet.looks.header)
            for c, name in zip(letters, new.names, strict=True)
        ]
    index = sheet.data_rows.get(row)
    if index is None:
        return []
    cells = []
    for role, column, letter in zip(roles, new.values, letters, strict=True):
        if (value := column[index]) is not None:
            cells.append(_cell(f"{letter}{row}", role, value, new, sheet, links))
    return cells


def _cell(
    ref: str, role: str, value: str | int, new: NewColumns, sheet: EnrichedSheet,
    links: list[tuple[str, str]],
) -> bytes:
    """One new cell: our credit count as a number, every API value as text (never a formula),
    a found email or LinkedIn URL as a link while Excel's limit allows."""
    if role == "enrichment_credits" and isinstance(value, int):
        return number_cell(sheet.prefix, ref, value, None)
    text = str(value)
    if len(text) > CELL_LIMIT:
        text, sheet.cut = text[:CELL_LIMIT], sheet.cut + 1
    style = sheet.looks.text
    if role == "enrichment_status":
        style = sheet.looks.status.get(text, style)
    target = new.link_of(role, text)
    if target is not None and new.links.take():
        links.append((ref, target))
        style = sheet.looks.link
    return text_cell(sheet.prefix, ref, text, style)


def _head(head: bytes, new: NewColumns, sheet: EnrichedSheet, last: int) -> bytes:
    """The sheet's start: the used range widened to the new columns, their widths set."""
    head = re.sub(
        rb'(<(?:\w+:)?dimension\b[^>]*?\bref=")([^"]*)(")',
        lambda m: m.group(1) + _widened(m.group(2), last) + m.group(3),
        head,
        count=1,
    )
    cols = _col_elements(sheet.prefix, new, sheet.first)
    existing = re.search(rb"<(?:\w+:)?cols\b[^>]*>(.*?)</(?:\w+:)?cols>", head, re.S)
    if existing is None:
        at = re.search(rb"<(?:\w+:)?sheetData\b", head)
        assert at is not None
        block = f"<{sheet.prefix}cols>".encode() + cols + f"</{sheet.prefix}cols>".encode()
        return head[: at.start()] + block + head[at.start() :]
    ranges = [
        (int(a), int(b))
        for a, b in re.findall(rb'\bmin="(\d+)"[^>]*?\bmax="(\d+)"', existing.group(1))
    ]
    if any(b >= sheet.first + 1 for _, b in ranges):
        return head  # the input sizes those columns or ones after them (<col>s stay in order)
    return insert_before_close(head, "cols", cols) if cols else head


def _widened(ref: bytes, last: int) -> bytes:
    found = re.fullmatch(rb"([A-Z]{1,3})(\d+)(?::([A-Z]{1,3})(\d+))?", ref)
    if found is None:
        return ref
    first_letters, first_row, end_letters, end_row = found.groups()
    end_col = _index(end_letters or first_letters)
    end = column_letters(max(end_col, last)).encode()
    return first_letters + first_row + b":" + end + (end_row or first_row)


def _filter(found: re.Match[bytes], header_row: int, last: int) -> bytes:
    """An autoFilter ref starting on the header row, reaching to the last new column."""
    start, first_col, first_row, end_col, end_row, close = found.groups()
    if int(first_row) != header_row or _index(end_col) >= last:
        return found.group()
    return start + first_col + first_row + b":" + column_letters(last).encode() + end_row + close


def _index(letters: bytes) -> int:
    index = 0
    for ch in letters:
        index = index * 26 + (ch - 64)
    return index - 1


def _col_elements(prefix: str, new: NewColumns, first: int) -> bytes:
    out = []
    for k, (name, column) in enumerate(zip(new.names, new.values, strict=True)):
        longest = max((len(str(v)) for v in column[:WIDTH_SAMPLE] if v is not None), default=0)
        width = min(60, max(8, len(name) + 4, longest + 2))
        n = first + k + 1
        out.append(f'<{prefix}col min="{n}" max="{n}" width="{width}" customWidth="1"/>')
    return "".join(out).encode()


def _tail(
    tail: bytes, root: bytes, sheet: EnrichedSheet, links: list[tuple[str, str]], last: int
) -> bytes:
    """The sheet's end: the input's filter on the header row widened to the new columns, and
    the links made."""
    tail = re.sub(
        rb'(<(?:\w+:)?autoFilter\b[^>]*?\bref=")([A-Z]{1,3})(\d+):([A-Z]{1,3})(\d+)(")',
        lambda m: _filter(m, sheet.header_row, last),
        tail,
        count=1,
    )
    if not links:
        return tail
    r = prefix_for(root, REL_NS)
    rels = []
    made = []
    for n, (ref, target) in enumerate(links, start=1):
        rel_id = f"{sheet.link_stem}{n}"
        rels.append((rel_id, target))
        made.append((ref, rel_id))
    sheet.links = rels
    return add_links(tail, sheet.prefix, r, made)


__all__ = ("CELL_LIMIT", "EnrichedSheet", "NewColumns", "rewrite")
