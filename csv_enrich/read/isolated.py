"""Read a legacy .xls workbook in a child process, so a damaged file cannot take csv-enrich down.

calamine's .xls reader trusts counts inside the file: a few flipped bytes make it reserve
hundreds of gigabytes, and Rust aborts the whole process (no exception to catch). The child
(this file run as a script, importing only fastexcel and polars) loads every sheet as text into
Arrow files in a temporary folder; the parent reads them back. If the child dies or runs too
long, the parent reports the file as damaged. .xls files are small (65,536 rows at most), so the
extra process costs well under a second.
"""

from __future__ import annotations

import io
import json
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import polars as pl

TIMEOUT_S = 120


@dataclass(frozen=True)
class IsolatedBook:
    """Every sheet of a workbook as calamine read it: text frames and their first column."""

    sheet_names: tuple[str, ...]
    frames: tuple[pl.DataFrame, ...]
    first_cols: tuple[int, ...]


class IsolatedReadFailed(Exception):
    """The child could not read the workbook; the message says why, in a few words."""


def read_isolated(path: Path, n_rows: int | None) -> IsolatedBook:
    """Load every sheet of `path` in a child process; raises IsolatedReadFailed."""
    import polars as pl

    with tempfile.TemporaryDirectory(prefix="csv-enrich-xls-") as out:
        command = [sys.executable, "-I", __file__, str(path), out, str(n_rows or 0)]
        try:
            done = subprocess.run(command, capture_output=True, timeout=TIMEOUT_S, check=False)
        except subprocess.TimeoutExpired:
            raise IsolatedReadFailed(f"reading it took over {TIMEOUT_S} s") from None
        meta_path = Path(out, "meta.json")
        if done.returncode != 0 or not meta_path.exists():
            raise IsolatedReadFailed("the spreadsheet reader crashed on it")
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
        if "error" in meta:
            raise IsolatedReadFailed(str(meta["error"]))
        frames = tuple(pl.read_ipc(io.BytesIO(Path(out, f"{i}.arrow").read_bytes()))
                       for i in range(len(meta["names"])))  # fmt: skip
    return IsolatedBook(tuple(meta["names"]), frames, tuple(meta["first_cols"]))


def read_isolated_typed(path: Path, sheet: int, header_row: int) -> pl.DataFrame:
    """The sheet `sheet` of `path` with calamine's own cell types (numbers, dates, booleans;
    a column mixing types is text), read in a child process; its columns are named after the
    header row `header_row` (1-based) and its rows start under it. Raises IsolatedReadFailed."""
    import polars as pl

    with tempfile.TemporaryDirectory(prefix="csv-enrich-xls-") as out:
        command = [sys.executable, "-I", __file__, str(path), out, "0", str(sheet), str(header_row)]
        try:
            done = subprocess.run(command, capture_output=True, timeout=TIMEOUT_S, check=False)
        except subprocess.TimeoutExpired:
            raise IsolatedReadFailed(f"reading it took over {TIMEOUT_S} s") from None
        typed = Path(out, "typed.arrow")
        if done.returncode != 0 or not typed.exists():
            raise IsolatedReadFailed("the spreadsheet reader crashed on it")
        return pl.read_ipc(io.BytesIO(typed.read_bytes()))


def _child_typed(path: str, out: str, sheet: int, header_row: int) -> None:
    """In the child: load one sheet with its cell types under its header row."""
    import fastexcel

    reader = fastexcel.read_excel(path)
    loaded = reader.load_sheet(sheet, header_row=header_row - 1)
    loaded.to_polars().write_ipc(Path(out, "typed.arrow"))


def _child(path: str, out: str, n_rows: int) -> None:
    """In the child: load every sheet as text and write it, or write the error, to `out`."""
    import fastexcel

    meta: dict[str, Any]
    try:
        reader = fastexcel.read_excel(path)
        names, first_cols = list(reader.sheet_names), []
        for i in range(len(names)):
            sheet = reader.load_sheet(
                i, header_row=None, dtypes="string", skip_rows=0, n_rows=n_rows or None
            )
            sheet.to_polars().write_ipc(Path(out, f"{i}.arrow"))
            columns = sheet.available_columns()
            first_cols.append(int(columns[0].absolute_index) if columns else 0)
        meta = {"names": names, "first_cols": first_cols}
    except Exception as exc:  # calamine's errors have no common public base
        meta = {"error": " ".join(str(exc).split())[:120]}
    Path(out, "meta.json").write_text(json.dumps(meta), encoding="utf-8")


if __name__ == "__main__":
    if len(sys.argv) > 5:
        _child_typed(sys.argv[1], sys.argv[2], int(sys.argv[4]), int(sys.argv[5]))
    else:
        _child(sys.argv[1], sys.argv[2], int(sys.argv[3]))
