"""CSV/TSV/XLSX/XLS/ODS -> a polars DataFrame of text cells, with the row numbers a person sees."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import polars as pl


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


def read_table(
    path: Path,
    *,
    sheet: str | None = None,
    limit: int | None = None,
    accept: Callable[[Table], bool] | None = None,
) -> Table:
    """Read `path` as text. For workbooks: `sheet` if given, else the first sheet `accept`
    approves (else the first sheet). `limit` keeps the first N data rows. Raises InputError."""
    raise NotImplementedError
