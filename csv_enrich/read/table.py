"""CSV/TSV/XLSX/XLS/ODS -> a polars DataFrame of text cells, with the row numbers a person sees."""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from csv_enrich.errors import InputError
from csv_enrich.read.layout import (
    EMPTY,
    FOOTER_LOOKBACK,
    group_labels,
    non_data_note,
    non_data_rows,
)
from csv_enrich.rules.validate import PLACEHOLDERS

if TYPE_CHECKING:
    import polars as pl

TEXT_FORMATS = {".csv": "csv", ".tsv": "tsv", ".txt": "txt", ".tab": "tsv"}
WORKBOOK_FORMATS = {".xlsx": "xlsx", ".xlsm": "xlsm", ".xls": "xls", ".ods": "ods"}
HEADER_SEARCH_ROWS = 50
_ROW = "__source_row__"
_WIDTH = "__fields__"
_AT = "__grid_row__"
_PACKED = "_packed_cells"
_LINK_CELL = re.compile(r"\w@\w|://|^www\.")
_NUMBER_CELL = re.compile(r"^\s*[+(]?\d[\d\s().,/-]*$")


@dataclass(frozen=True)
class Table:
    """One sheet of the input as text.

    `frame` has one pl.String column per header (``headers`` == ``frame.columns``; duplicate
    header names are made unique and reported in `notes`) holding each cell exactly as a person
    sees it ("N/A" and " " included); only empty cells are null. `blanked` is the same frame
    with whitespace-only and placeholder cells (N/A, #N/A, [not provided]) as null too: the
    view identifiers are taken from. Every data row is kept: for CSV every record under the
    header (",," included), for workbooks every row holding anything (empty rows are left out;
    `source_rows` puts the others back in place). `source_rows[i]` is the row number a person
    sees for data row i (the spreadsheet row, or the CSV line the record starts on).
    `header_row` is the 1-based row number of the header. `source_headers` are the header
    texts exactly as in the file, in the order of `headers` (empty: the same as `headers`).
    `non_data`, `widths`, `header_width` and `groups`: see their comments below.
    `title_rows` are the rows above the header (a report's title, filters, blank lines) as the
    file holds them, cell by cell from its first column, so the output can keep them in place.
    """

    path: Path
    format: str
    frame: pl.DataFrame
    headers: tuple[str, ...]
    source_rows: tuple[int, ...]
    header_row: int = 1
    sheet: str | None = None
    sheets: tuple[str, ...] = ()
    delimiter: str | None = None
    encoding: str | None = None
    notes: tuple[str, ...] = ()
    source_headers: tuple[str, ...] = ()
    title_rows: tuple[tuple[str | None, ...], ...] = ()
    # Data row index -> why it is not data (read.layout: an empty row, a report footer).
    non_data: Mapping[int, str] = field(default_factory=dict)
    # Delimited text: the number of fields of each data row's record, and of the header's.
    widths: tuple[int, ...] = ()
    header_width: int = 0
    # Delimited text: the headers of the columns past the header's last field (values there
    # come from rows longer than the header).
    beyond_header: tuple[str, ...] = ()
    # Per header, the group label above it ("Contact", "Company": merged group headers).
    groups: tuple[str | None, ...] = ()
    # Delimited text: the line ending of its first line ("\r\n" from Windows programs), and the
    # file's (size, modification time) when it was read (None: not read from a file), so the
    # output can copy each record's own text when the file is unchanged (output.delimited).
    line_end: str = "\n"
    source_stat: tuple[int, int] | None = None

    @cached_property
    def blanked(self) -> pl.DataFrame:
        """`frame` with whitespace-only and placeholder cells as null (for identifiers)."""
        return blank_cells(self.frame)

    @property
    def height(self) -> int:
        """How many data rows (`frame.height`, without unpacking packed cells)."""
        packed = self.__dict__.get(_PACKED)
        return packed.height if packed is not None else self.frame.height

    def pack(self) -> None:
        """Hold the cells compressed (read.packed) until `frame` is next read, which makes
        the same frame again: an enriching run packs them once planned, since nothing reads
        them until the output, and a CSV output copied from its unchanged input never does.
        The table's value does not change (only how it is held), so a frozen table may."""
        from csv_enrich.read.packed import PackedFrame

        cells = self.__dict__.get("frame")
        if cells is None or cells.width == 0:
            return
        self.__dict__[_PACKED] = PackedFrame(cells)
        del self.__dict__["frame"]
        self.__dict__.pop("blanked", None)  # made again from the frame if asked for

    if not TYPE_CHECKING:  # mypy sees `frame` as the field it is

        def __getattr__(self, name: str) -> object:
            """`frame` of a packed table: unpacked when first read, then held again (by
            whichever thread reads it first: the others get that frame)."""
            if name != "frame":
                raise AttributeError(name)
            packed = self.__dict__.get(_PACKED)
            if packed is not None:
                self.__dict__.setdefault("frame", packed.unpack())
                self.__dict__.pop(_PACKED, None)
            try:
                return self.__dict__["frame"]
            except KeyError:
                raise AttributeError(name) from None


@dataclass(frozen=True)
class Grid:
    """Raw cells as a frame of pl.String columns (no header yet), the row number a person sees
    for each frame row, and a label per column for naming blank headers ("Column C").
    `records[i]` (delimited text) says frame row i is a record of the file even when all its
    fields are empty (",,"), as opposed to a blank line; None: only rows holding text count."""

    frame: pl.DataFrame
    row_numbers: Sequence[int]
    column_labels: list[str]
    records: list[bool] | None = None
    widths: list[int] | None = None
    # Workbooks: frame row -> the (first, last) grid columns of each merged range on that row.
    merges: Mapping[int, list[tuple[int, int]]] = field(default_factory=dict)


def _emptied(frame: pl.DataFrame) -> pl.DataFrame:
    """Empty cells ("") as null; every other text as it is. Only the columns holding an empty
    string are rewritten (a reader that gives empty cells as null costs no copy)."""
    import polars as pl

    if frame.width == 0:
        return frame
    has = frame.select((pl.all() == "").any()).row(0)
    empty = [n for n, found in zip(frame.columns, has, strict=True) if found]
    if not empty:
        return frame
    return frame.with_columns(
        pl.when(pl.col(n) == "").then(None).otherwise(pl.col(n)).alias(n) for n in empty
    )


# Characters other than themselves whose lowercase (Rust's, as str.to_lowercase) is an ASCII
# letter: the Kelvin sign is "k" (tests/test_read_table.py checks every character).
_LOWERCASES_TO = {"k": "\u212a"}


def _folded(char: str) -> str:
    """A regex for the characters whose lowercase is `char` (a placeholder's character)."""
    if char.isascii() and char.isalnum():
        return f"[{char}{char.upper()}{_LOWERCASES_TO.get(char, '')}]" if char.isalpha() else char
    return f"\\x{{{ord(char):x}}}"


def blank_pattern() -> str:
    """A (Rust) regex for the cells blank_cells makes null: whitespace only (\\s is Unicode
    White_Space, what str.strip_chars() strips), or a placeholder in any case between
    whitespace; the same as `strip_chars().str.to_lowercase().is_in(PLACEHOLDERS)`, in one
    pass and without a lowercased copy of every cell."""
    words = "|".join("".join(_folded(c) for c in word) for word in sorted(PLACEHOLDERS))
    return rf"^\s*(?:{words})?\s*$"


def blank_cells(frame: pl.DataFrame) -> pl.DataFrame:
    """Empty, whitespace-only and placeholder cells (N/A, #N/A, [not provided]) as null."""
    import polars as pl

    blank = blank_pattern()
    return frame.select(
        pl.when(pl.col(n).str.contains(blank)).then(None).otherwise(pl.col(n)).alias(n)
        for n in frame.columns
    )


def find_header(fill: list[int], data_like: list[bool] | None = None) -> int | None:
    """Index of the header row given each row's count of filled cells: the first row (of the
    first 50 non-blank) nearly as wide as the widest label row, so title rows and merged group
    headers above it are skipped. Rows holding emails, URLs or numbers (`data_like`) are data,
    not labels, unless no row is free of them."""
    window = [i for i, n in enumerate(fill) if n > 0][:HEADER_SEARCH_ROWS]
    labels = [i for i in window if not (data_like and data_like[i])] or window
    if not labels:
        return None
    need = max(1, math.ceil(0.6 * max(fill[i] for i in labels)))
    return next(i for i in labels if fill[i] >= need)


def _data_like(frame: pl.DataFrame) -> list[bool]:
    """For the first rows: does the row hold a value no header would (an email, URL, number)?"""
    return [_is_data_row(row) for row in frame.head(10 * HEADER_SEARCH_ROWS).iter_rows()]


def _is_data_row(row: tuple[str | None, ...]) -> bool:
    cells = [c for c in row if c is not None]
    if any(_LINK_CELL.search(c) for c in cells):
        return True
    return len(cells) > 1 and sum(bool(_NUMBER_CELL.match(c)) for c in cells) * 2 > len(cells)


def build_table(
    path: Path,
    fmt: str,
    grid: Grid,
    *,
    limit: int | None,
    sheet: str | None = None,
    sheets: tuple[str, ...] = (),
    delimiter: str | None = None,
    encoding: str | None = None,
    notes: tuple[str, ...] = (),
    line_end: str = "\n",
    source_stat: tuple[int, int] | None = None,
) -> Table:
    """The Table of a grid: header found, headers made unique, empty rows and columns dropped;
    every other cell kept exactly as it is."""
    import polars as pl

    raw = _emptied(grid.frame)
    frame = blank_cells(raw)
    fill = _fill(frame.head(10 * HEADER_SEARCH_ROWS))  # the header is looked for there only
    data_like = _data_like(frame)
    header_at = find_header(fill.to_list(), data_like)
    if header_at is None:
        where = f"{path}" + (f" (sheet '{sheet}')" if sheet else "")
        raise InputError(f"{where}: has no data; export the sheet again with its header row")
    headerless = data_like[header_at]
    body = _body(raw, grid, header_at - headerless, limit)
    header_cells = (None,) * frame.width if headerless else frame.row(header_at)
    keep = [i for i, name in enumerate(frame.columns) if _used(body, name, header_cells[i])]
    headers, header_notes = unique_headers(
        [header_cells[i] for i in keep], [grid.column_labels[i] for i in keep]
    )
    source = headers if headerless else [raw.row(header_at)[i] or "" for i in keep]
    data = body.select(
        body.get_column(frame.columns[i]).alias(h) for i, h in zip(keep, headers, strict=True)
    )
    blanked = _rows_at(frame, body.get_column(_AT)).select(  # blank_cells(data), not redone
        pl.col(frame.columns[i]).alias(h) for i, h in zip(keep, headers, strict=True)
    )
    non_data = _non_data(data, blanked)
    width = grid.widths[header_at] if grid.widths and not headerless else 0
    above = raw.row(header_at - 1) if header_at > 0 and not headerless else ()
    spans = grid.merges.get(header_at - 1, [])
    labels = group_labels(list(above), frame.width, spans) if above else ()
    groups = tuple(labels[i] for i in keep) if labels else ()
    table = Table(
        path=path, format=fmt, frame=data, headers=tuple(headers),
        source_rows=tuple(body.get_column(_ROW).to_list()),
        header_row=0 if headerless else grid.row_numbers[header_at], sheet=sheet, sheets=sheets,
        delimiter=delimiter, encoding=encoding,
        notes=notes + _header_notes(int(fill.head(header_at).sum()), headerless)
        + tuple(header_notes) + non_data_note(non_data),
        source_headers=tuple(source), title_rows=_title_rows(raw, header_at), non_data=non_data,
        widths=tuple(body.get_column(_WIDTH).to_list()) if grid.widths else (),
        header_width=width,
        beyond_header=tuple(h for i, h in zip(keep, headers, strict=True) if width and i >= width),
        groups=groups, line_end=line_end, source_stat=source_stat,
    )  # fmt: skip
    table.__dict__["blanked"] = blanked  # the cached_property, filled
    return table


def _rows_at(frame: pl.DataFrame, at: pl.Series) -> pl.DataFrame:
    """frame[at]; a slice (no copy) when `at` is a run of consecutive rows, as it mostly is."""
    if at.len() and (at.diff().drop_nulls() == 1).all():
        return frame.slice(at[0], at.len())
    return frame[at]


def _non_data(data: pl.DataFrame, blanked: pl.DataFrame) -> dict[int, str]:
    """read.layout.non_data_rows over the whole frame without a Python tuple per row: the
    empty rows found column-wise, the footer looked for in the last rows only. A row empty or
    whitespace-only in `data` is all null in `blanked` (blank_cells(data)): only those rows
    are looked at again."""
    import polars as pl

    if data.width == 0:
        return {}
    maybe = blanked.select(pl.all_horizontal(pl.all().is_null())).to_series().arg_true()
    empty = data[maybe].select(
        pl.all_horizontal(pl.all().is_null() | (pl.all().str.strip_chars() == ""))
    ).to_series()
    found = dict.fromkeys(maybe.filter(empty).to_list(), EMPTY)
    start = max(0, data.height - FOOTER_LOOKBACK)
    tail = non_data_rows(data.slice(start).rows())
    found.update({start + i: why for i, why in tail.items()})
    return found


def _title_rows(raw: pl.DataFrame, header_at: int) -> tuple[tuple[str | None, ...], ...]:
    """The rows above the header, trailing empty cells left out (a blank line: no cells)."""
    rows = []
    for row in raw.head(header_at).iter_rows():
        cells = list(row)
        while cells and cells[-1] is None:
            cells.pop()
        rows.append(tuple(cells))
    return tuple(rows)


def _header_notes(filled_above: int, headerless: bool) -> tuple[str, ...]:
    if headerless:
        return ("there is no header row (the first row holds data); columns are named by position",)
    if not filled_above:
        return ()
    return ("title rows above the header are not leads; the output keeps them above it",)


def _fill(frame: pl.DataFrame) -> pl.Series:
    """How many cells of each row are filled."""
    import polars as pl

    if frame.width == 0:
        return pl.Series("fill", [], dtype=pl.UInt32)
    return frame.select(pl.sum_horizontal(pl.all().is_not_null())).to_series()


def _body(raw: pl.DataFrame, grid: Grid, header_at: int, limit: int | None) -> pl.DataFrame:
    """The rows under the header (-1: no header) that hold any text or are records of a
    delimited file, with their row numbers in column _ROW."""
    import polars as pl

    numbers = pl.Series(_ROW, grid.row_numbers[header_at + 1 :], dtype=pl.Int64)
    at = pl.int_range(header_at + 1, raw.height, dtype=pl.UInt32).alias(_AT)
    body = raw.slice(header_at + 1).with_columns(numbers, at)
    if grid.widths is not None:
        body = body.with_columns(pl.Series(_WIDTH, grid.widths[header_at + 1 :], dtype=pl.Int64))
    kept = _fill(raw).slice(header_at + 1) > 0
    if grid.records is not None:
        kept = kept | pl.Series(grid.records[header_at + 1 :], dtype=pl.Boolean)
    if not kept.all():  # filtering copies every column: only when a row goes
        body = body.filter(kept)
    return body if limit is None else body.head(limit)


def _used(body: pl.DataFrame, name: str, header: str | None) -> bool:
    return header is not None or body.get_column(name).null_count() < body.height


def unique_headers(raw: Sequence[str | None], labels: Sequence[str]) -> tuple[list[str], list[str]]:
    """Header texts made unique ("Email", "Email (2)"); blank ones named after their column."""
    headers: list[str] = []
    notes: list[str] = []
    seen: set[str] = set()
    for text, label in zip(raw, labels, strict=True):
        name = " ".join((text or "").split()) or f"Column {label}"
        base, n = name, 1
        while name.casefold() in seen:
            n += 1
            name = f"{base} ({n})"
        if name != base:
            notes.append(f"two columns are named '{base}'; the later one is read as '{name}'")
        seen.add(name.casefold())
        headers.append(name)
    return headers, notes
