"""CSV/TSV/XLSX/XLS/ODS -> a polars DataFrame of text cells, with the row numbers a person sees."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from csv_enrich.errors import InputError

if TYPE_CHECKING:
    import polars as pl

TEXT_FORMATS = {".csv": "csv", ".tsv": "tsv", ".txt": "txt", ".tab": "tsv"}
WORKBOOK_FORMATS = {".xlsx": "xlsx", ".xlsm": "xlsm", ".xls": "xls", ".ods": "ods"}
PLACEHOLDERS = frozenset(
    {
        "n/a", "na", "#n/a", "n.a.", "null", "nil", "none", "-", "--", "---", "\u2014", "?",
        "[not provided]", "not provided", "(not provided)", "<not provided>", "nan",
        "#ref!", "#value!", "#name?", "#div/0!", "#null!", "#num!",
        "(blank)", "[blank]", "(empty)", "[empty]",
    }
)  # fmt: skip
HEADER_SEARCH_ROWS = 50


@dataclass(frozen=True)
class Table:
    """One sheet of the input as text.

    `frame` has one pl.String column per header (``headers`` == ``frame.columns``; duplicate
    header names are made unique and reported in `notes`); empty cells and placeholders such
    as N/A are null. `source_rows[i]` is the row number a person sees for data row i (the
    spreadsheet row, or the CSV line the record starts on). `header_row` is the 1-based row
    number of the header.
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


@dataclass(frozen=True)
class Grid:
    """Raw cells by column (ragged-free), with the row number a person sees for each row."""

    columns: list[list[str | None]]
    row_numbers: list[int]
    column_labels: list[str]


def read_table(
    path: Path,
    *,
    sheet: str | None = None,
    limit: int | None = None,
    accept: Callable[[Table], bool] | None = None,
) -> Table:
    """Read `path` as text. For workbooks: `sheet` if given, else the first sheet `accept`
    approves (else the first sheet). `limit` keeps the first N data rows. Raises InputError."""
    path = Path(path)
    fmt = _format_of(path)
    data_head = _head(path)
    if fmt in WORKBOOK_FORMATS.values():
        from csv_enrich.read_excel import read_workbook

        return read_workbook(path, fmt, data_head, sheet=sheet, limit=limit, accept=accept)
    return _read_text(path, fmt, limit)


def _format_of(path: Path) -> str:
    suffix = path.suffix.lower()
    fmt = TEXT_FORMATS.get(suffix) or WORKBOOK_FORMATS.get(suffix)
    if fmt is None:
        raise InputError(
            f"{path}: unsupported file type '{suffix or '(none)'}'; "
            "use .csv, .tsv, .txt, .xlsx, .xlsm, .xls or .ods"
        )
    return fmt


def _head(path: Path) -> bytes:
    try:
        with path.open("rb") as fh:
            head = fh.read(8192)
    except FileNotFoundError:
        raise InputError(f"{path}: no such file; check the path") from None
    except IsADirectoryError:
        raise InputError(f"{path}: is a folder, not a file; name a CSV or XLSX file") from None
    except OSError as exc:
        raise InputError(
            f"{path}: cannot be opened ({exc.strerror}); check its permissions"
        ) from None
    if not head.strip(b" \t\r\n\x00\xef\xbb\xbf\xff\xfe"):
        raise InputError(f"{path}: the file is empty; export the sheet again with its header row")
    return head


def _read_text(path: Path, fmt: str, limit: int | None) -> Table:
    from csv_enrich import read_csv

    if _head(path)[:4] in (b"PK\x03\x04", b"\xd0\xcf\x11\xe0"):
        raise InputError(
            f"{path}: this is an Excel workbook, not delimited text; rename it to .xlsx (or .xls)"
        )
    if path.stat().st_size > read_csv.MAX_TEXT_BYTES:
        raise InputError(f"{path}: larger than 1 GiB; split it into smaller files")
    records, delimiter, encoding = read_csv.read_delimited(path, path.read_bytes(), limit)
    grid = _grid_from_records(records)
    notes = (f"delimiter: {read_csv.delimiter_name(delimiter)}; encoding: {encoding}",)
    return build_table(
        path, fmt, grid, limit=limit, delimiter=delimiter, encoding=encoding, notes=notes
    )


def _grid_from_records(records: Sequence[tuple[int, list[str]]]) -> Grid:
    width = max((len(r) for _, r in records), default=0)
    columns: list[list[str | None]] = [[] for _ in range(width)]
    for _, record in records:
        for i in range(width):
            columns[i].append(record[i] if i < len(record) else None)
    labels = [str(i + 1) for i in range(width)]
    return Grid(columns, [line for line, _ in records], labels)


def _is_blank(cell: str | None) -> bool:
    return cell is None or not cell.strip() or cell.strip().lower() in PLACEHOLDERS


def _row_fill(grid: Grid, i: int) -> int:
    return sum(not _is_blank(col[i]) for col in grid.columns)


def find_header(grid: Grid) -> int | None:
    """Index of the header row: the first row (of the first 50 non-blank) nearly as wide as the
    widest one, so title rows and merged group headers above it are skipped."""
    rows = [i for i in range(len(grid.row_numbers)) if _row_fill(grid, i) > 0]
    window = rows[:HEADER_SEARCH_ROWS]
    if not window:
        return None
    widest = max(_row_fill(grid, i) for i in window)
    need = max(1, math.ceil(0.6 * widest))
    return next(i for i in window if _row_fill(grid, i) >= need)


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
) -> Table:
    """The Table of a grid: header found, headers made unique, blank rows and columns dropped."""
    import polars as pl

    where = f"{path}" + (f" (sheet '{sheet}')" if sheet else "")
    header_at = find_header(grid)
    if header_at is None:
        raise InputError(f"{where}: has no data; export the sheet again with its header row")
    keep = [c for c in range(len(grid.columns)) if _column_used(grid.columns[c], header_at)]
    headers, header_notes = unique_headers(
        [grid.columns[c][header_at] for c in keep], [grid.column_labels[c] for c in keep]
    )
    rows = [i for i in range(header_at + 1, len(grid.row_numbers)) if _row_fill(grid, i) > 0]
    if limit is not None:
        rows = rows[:limit]
    data = {
        h: [_cell(grid.columns[c][i]) for i in rows] for h, c in zip(headers, keep, strict=True)
    }
    frame = pl.DataFrame(data, schema=dict.fromkeys(headers, pl.String))
    above = ("title rows above the header were skipped",) if header_at > 0 else ()
    return Table(
        path=path, format=fmt, frame=frame, headers=tuple(headers),
        source_rows=tuple(grid.row_numbers[i] for i in rows),
        header_row=grid.row_numbers[header_at], sheet=sheet, sheets=sheets,
        delimiter=delimiter, encoding=encoding, notes=notes + above + tuple(header_notes),
    )  # fmt: skip


def _column_used(column: list[str | None], header_at: int) -> bool:
    return any(not _is_blank(cell) for cell in column[header_at:])


def _cell(cell: str | None) -> str | None:
    return None if _is_blank(cell) else cell


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
