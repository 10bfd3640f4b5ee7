"""Workbooks (.xlsx, .xlsm, .xls, .ods) -> Table, through fastexcel (calamine), safely.

Before calamine sees a file, the container is checked (read.container: the right magic bytes,
no encryption, a bounded uncompressed size, no XML document type declarations, for .ods
well-formed XML); the sheet's extent is checked before it is loaded. calamine's errors
and panics become InputError; .xls files are read in a child process (read_isolated), because a
damaged one can make calamine abort.
"""

from __future__ import annotations

import os
import re
import sys
import tempfile
import zipfile
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from csv_enrich.errors import InputError
from csv_enrich.read.container import Unzipped, check_container, check_zip
from csv_enrich.read.table import Grid, Table, build_table

__all__ = ["check_container", "check_zip", "column_letter", "read_workbook"]

if TYPE_CHECKING:
    import polars as pl

_MIDNIGHT = r"^(\d{4}-\d{2}-\d{2}) 00:00:00$"
_LONG_FLOAT = r"^-?\d+\.\d{12,}$"


def read_workbook(
    path: Path,
    fmt: str,
    head: bytes,
    *,
    sheet: str | None,
    limit: int | None,
    accept: Callable[[Table], bool] | None,
) -> Table:
    """The chosen sheet of a workbook as a Table (see read.read_table)."""
    unzipped = check_container(path, fmt, head, _search_sheets)
    reader = _open_isolated(path, limit) if fmt == "xls" else _open(path)
    names = tuple(reader.sheet_names)
    if sheet is not None:
        at = _pick_sheet(path, names, sheet)
        return _sheet_table(path, fmt, reader, at, names, limit, unzipped)
    first: Table | None = None
    refused: InputError | None = None
    for index in range(len(names)):
        try:
            table = _sheet_table(path, fmt, reader, index, names, limit, unzipped)
        except InputError as exc:
            refused = refused or exc
            continue
        if accept is None or accept(table):
            return table
        first = first or table
    if refused is not None and "has no data" not in str(refused):
        raise refused  # no sheet was accepted, and one was refused for a reason worth telling
    if first is None:
        raise InputError(
            f"{path}: every sheet is empty; export the sheet again with its header row"
        )
    if len(names) == 1:
        return first
    note = f"no sheet has identifier columns, so the first ('{first.sheet}') was read"
    return replace(first, notes=(*first.notes, note))


def _search_sheets(archive: zipfile.ZipFile) -> Callable[[bytes], Any]:
    """sheet_xml.search_sheets, imported once the workbook is a zip of the right kind (it
    reads styles.xml only within bounds before the members are checked)."""
    from csv_enrich.read.sheet_xml import search_sheets

    return search_sheets(archive)


def _open(path: Path) -> Any:
    import fastexcel

    try:
        with calamine_guard():
            return fastexcel.read_excel(path)
    except CalamineFailed as exc:
        raise InputError(
            f"{path}: the workbook cannot be read ({exc}); open it in Excel and save a copy"
        ) from None


def _open_isolated(path: Path, limit: int | None) -> Any:
    from csv_enrich.read.isolated import IsolatedReadFailed, read_isolated

    try:
        return read_isolated(path, None if limit is None else limit + 200)
    except IsolatedReadFailed as exc:
        raise InputError(
            f"{path}: the workbook cannot be read ({exc}); it may be damaged: open it in Excel "
            "and save a copy as .xlsx"
        ) from None


class CalamineFailed(Exception):
    """calamine refused the file (an error, or a panic on damaged data)."""


@contextmanager
def calamine_guard() -> Iterator[None]:
    """Turn calamine's errors and panics into CalamineFailed, and keep the panic message Rust
    writes to the process's stderr (fd 2) out of the person's terminal."""
    with _stderr_silenced():
        try:
            yield
        except (KeyboardInterrupt, SystemExit, GeneratorExit, InputError):
            raise
        except BaseException as exc:  # pyo3's PanicException derives from BaseException
            raise CalamineFailed(_short(exc)) from None


@contextmanager
def _stderr_silenced() -> Iterator[None]:
    """Point fd 2 at a scratch file for the duration (nothing changes if fd 2 is unusable)."""
    try:
        sys.stderr.flush()
        saved = os.dup(2)
    except (OSError, ValueError, AttributeError):
        yield
        return
    try:
        with tempfile.TemporaryFile() as sink:
            os.dup2(sink.fileno(), 2)
            try:
                yield
            finally:
                os.dup2(saved, 2)
    finally:
        os.close(saved)


def _short(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    return text if len(text) <= 120 else text[:117] + "..."


def _pick_sheet(path: Path, names: tuple[str, ...], wanted: str) -> int:
    if wanted in names:
        return names.index(wanted)
    folded = [n.strip().casefold() for n in names]
    if wanted.strip().casefold() in folded:
        return folded.index(wanted.strip().casefold())
    if wanted.strip().isdigit() and 1 <= int(wanted) <= len(names):
        return int(wanted) - 1
    listed = ", ".join(f"'{n}'" for n in names)
    raise InputError(
        f"{path}: no sheet named '{wanted}'; the sheets are {listed}; "
        "use --sheet NAME (or its number, 1 for the first)"
    )


def _sheet_table(
    path: Path,
    fmt: str,
    reader: Any,
    index: int,
    names: tuple[str, ...],
    limit: int | None,
    unzipped: Unzipped,
) -> Table:
    if fmt in ("xlsx", "xlsm"):
        grid = _xlsx_grid(path, reader, index, names[index], limit, unzipped)
    else:
        frame, first_col = _load(path, reader, index, limit)
        grid = _grid(frame, first_col)
        if fmt == "ods":
            from csv_enrich.read.ods import apply_shown_text

            grid = apply_shown_text(path, names[index], grid, first_col)
    return build_table(path, fmt, grid, limit=limit, sheet=names[index], sheets=names)


def _xlsx_grid(
    path: Path, reader: Any, index: int, name: str, limit: int | None, unzipped: Unzipped,
) -> Grid:  # fmt: skip
    """An .xlsx sheet's grid: its extent checked, then calamine loads it (and polars makes its
    grid) in a thread while the cells it does not show as Excel does are rendered (mostly
    outside the GIL: on two cores that work costs no time), then those cells are put in
    place. The container check's pass found those cells (unzipped.matched): what else is
    needed of the sheet's XML is taken before calamine loads, and the XML let go."""
    from csv_enrich.read.sheet_xml import (
        format_cells,
        joined_cells,
        marked_cells,
        member_xml,
        merge_refs,
        ranges_at,
    )  # fmt: skip
    from csv_enrich.read.styled_cells import place

    member, xml = member_xml(path, name, unzipped)
    matches = unzipped.matched.pop(member, None) if member is not None and xml else None
    marked = marked_cells(xml, matches) if matches is not None else []
    if matches is not None and member is not None:
        unzipped.pop(member, None)
    with ThreadPoolExecutor(max_workers=1) as pool:
        loading = pool.submit(_load_grid, path, reader, index, limit)
        refs = merge_refs(xml)  # (one search from the end, while calamine starts)
        if matches is not None:
            xml = b""  # the sheet's XML is let go while calamine loads it
            cells = joined_cells(marked, matches.finds().cells)
        else:
            cells = format_cells(path, name, xml or None)
        grid, first_col = loading.result()
    if cells is not None:
        grid = place(grid, cells, first_col)
    return replace(grid, merges=ranges_at(refs, first_col))


def _load_grid(path: Path, reader: Any, index: int, limit: int | None) -> tuple[Grid, int]:
    """_load, then _grid: the sheet's Grid and the sheet column of its first column."""
    frame, first_col = _load(path, reader, index, limit)
    return _grid(frame, first_col), first_col


def _load(path: Path, reader: Any, index: int, limit: int | None) -> tuple[pl.DataFrame, int]:
    """The sheet as string columns from row 1, and the 0-based column of its first column."""
    isolated = sys.modules.get("csv_enrich.read.isolated")  # not imported: no .xls was read
    if isolated is not None and isinstance(reader, isolated.IsolatedBook):
        return reader.frames[index], reader.first_cols[index]
    n_rows = None if limit is None else limit + 200
    try:
        with calamine_guard():
            sheet = reader.load_sheet(
                index, header_row=None, dtypes="string", skip_rows=0, n_rows=n_rows
            )
            frame: pl.DataFrame = sheet.to_polars()
            columns = sheet.available_columns()
    except CalamineFailed as exc:
        raise InputError(
            f"{path}: a sheet cannot be read ({exc}); open it in Excel and save a copy"
        ) from None
    return frame, int(columns[0].absolute_index) if columns else 0


def _grid(frame: pl.DataFrame, first_col: int) -> Grid:
    """A Grid of calamine's text, dates at midnight shown without the time."""
    import polars as pl

    names = [str(i) for i in range(frame.width)]
    # Only columns with a value ending at midnight can change (a cheap look before the regex).
    dated = frame.select(pl.all().str.ends_with(" 00:00:00").any()).row(0) if frame.width else ()
    shown = frame.select(
        (pl.col(old).str.replace(_MIDNIGHT, "$1") if at_midnight else pl.col(old)).alias(new)
        for old, new, at_midnight in zip(frame.columns, names, dated, strict=True)
    )
    labels = [column_letter(first_col + i) for i in range(frame.width)]
    return Grid(_general_floats(shown), list(range(1, frame.height + 1)), labels)


def _general_floats(frame: pl.DataFrame) -> pl.DataFrame:
    """Floats as Excel's General format shows them: 0.30000000000000004 is 0.3 (15 digits)."""
    import polars as pl

    for name in frame.columns:
        column = frame.get_column(name)
        if column.str.contains(_LONG_FLOAT).any():
            values = [_fifteen_digits(v) for v in column.to_list()]
            frame = frame.with_columns(pl.Series(name, values, dtype=pl.String))
    return frame


def _fifteen_digits(value: str | None) -> str | None:
    if value is None or not re.fullmatch(_LONG_FLOAT, value):
        return value
    shown = format(float(value), ".15g")
    return value if "e" in shown else shown


def column_letter(index: int) -> str:
    """Excel's letters for a 0-based column index (0 -> A, 27 -> AB)."""
    letters = ""
    index += 1
    while index:
        index, rem = divmod(index - 1, 26)
        letters = chr(65 + rem) + letters
    return letters
