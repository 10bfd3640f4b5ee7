"""Join outcomes onto the original rows and write the output: CSV/TSV or XLSX, atomically.

The input's columns, values and order are kept; the appended columns follow them. No value from
the API can run as a formula, nor a workbook's text become one:

* XLSX: every value from the API, and every text of the input, is a text cell (an inline
  string or ``write_string``), never a formula, so ``=HYPERLINK(...)`` shows as text,
  ``+14155550123`` keeps its ``+`` and ``00123`` its zeros. The input's own numbers, dates,
  booleans and formulas stay what they were (an XLSX input is copied, see xlsx_patch), a CSV's
  columns of plain numbers become numbers (xlsx_numbers), and ``enrichment_credits`` (our own
  count) is a number cell.
* CSV/TSV: a delimited input's cells come back as they were written (output.delimited). A
  value from the API, or a workbook's text cell, starting with ``=``, ``+``, ``-``, ``@``, a
  tab or a carriage return gets a leading apostrophe (OWASP), unless it starts with ``+`` or
  ``-`` and is made only of digits, spaces and ``+-().,/`` (phones such as
  ``+1 (415) 555-0123``, numbers and sums of numbers such as ``-12.5``, ``-1-1`` and ``-2+3``),
  or is a number in E notation (``-1.5e10``): with no letter, name or reference in it, such a
  cell cannot call or read anything.
"""

from __future__ import annotations

import errno
import os
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from csv_enrich.errors import OutputError
from csv_enrich.models import (
    Invalid,
    Kind,
    NotData,
    NotSent,
    Outcome,
    Plan,
    columns_for,
)
from csv_enrich.output.appended import AppendedColumn, appended_values
from csv_enrich.output.atomic import atomic_path
from csv_enrich.output.delimited import write_delimited
from csv_enrich.output.guard import TRIGGERS, neutralise, neutralise_expr
from csv_enrich.output.headers import appended_headers
from csv_enrich.report import Report, default_report_path, with_notes

if TYPE_CHECKING:
    from csv_enrich.read.table import Table

SUPPORTED_SUFFIXES = (".csv", ".tsv", ".txt", ".xlsx", ".xlsm")
_OUTPUT_SUFFIX = {".xls": ".xlsx", ".ods": ".xlsx", ".tab": ".tsv"}
EXCEL_ROWS, EXCEL_COLUMNS = 1_048_576, 16_384


# -- join ------------------------------------------------------------------------------------


def join(
    plan: Plan, outcomes: Mapping[str, Outcome], *, source_rows: Sequence[int] | None = None
) -> list[Outcome]:
    """One Outcome per data row, in row order (see the module of `Plan` for the row keys).

    Invalid rows carry their reason; duplicates repeat the first row's data at 0 credits with
    "duplicate of row N" (N from `source_rows`, else the data row index + 2); cache hits cost 0;
    keys nobody answered for, and rows past --limit, are "skipped" with the reason.

    A row that is its identity's first is the identity's own Outcome (shared, not copied); the
    rows are made in one list, and only the rows that say more (same person, a reading note)
    are replaced in it.
    """
    first: dict[str, int] = {}  # key -> the row number of its first row
    rows: list[Outcome] = []
    for i, key in enumerate(plan.row_keys):
        if isinstance(key, NotData):
            rows.append(Outcome(key="", status="not_data"))
        elif isinstance(key, NotSent):
            rows.append(Outcome(key="", status="skipped", note=key.reason))
        elif isinstance(key, Invalid):
            rows.append(Outcome(key="", status="invalid", note=key.reason))
        elif (number := first.get(key)) is not None:
            rows.append(_duplicate(_found(key, plan, outcomes), number))
        else:
            first[key] = _row_number(i, source_rows)
            rows.append(_found(key, plan, outcomes))
    for i, row in enumerate(rows):
        if row.same_as is not None or row.credits_on is not None:
            rows[i] = _same_person(row, first)
    for i, note in plan.row_notes.items():
        if 0 <= i < len(rows):
            rows[i] = _with_row_note(rows[i], note)
    return rows


def _same_person(row: Outcome, first: Mapping[str, int]) -> Outcome:
    """A row the API answered with another row's lead, or one of a group of lost answers whose
    leads cannot be told apart: say which row carries the credits (`first`: key -> the row
    number of its first row)."""
    if row.credits_on is not None and row.credits_on in first:
        note = CREDITS_ON.format(row=first[row.credits_on])
        return replace(row, credits=0, note="; ".join(n for n in (row.note, note) if n))
    if row.same_as is None or row.same_as not in first:
        return row
    note = f"same person as row {first[row.same_as]}"
    return replace(row, credits=0, note="; ".join(n for n in (note, row.note) if n))


CREDITS_ON = "what its lost answer cost, if anything, is counted on row {row}"


def _with_row_note(row: Outcome, note: str | None) -> Outcome:
    """The row's outcome with what its reading deserves saying put first in its note."""
    if not note:
        return row
    return replace(row, note=f"{note}; {row.note}" if row.note else note)


def _row_number(index: int, source_rows: Sequence[int] | None) -> int:
    return source_rows[index] if source_rows is not None else index + 2


def _duplicate(original: Outcome, row: int) -> Outcome:
    return Outcome(
        key=original.key,
        status=original.status,
        note=f"duplicate of row {row}",
        credits=0,
        data=original.data,
        workflow_id=original.workflow_id,
    )


def _found(key: str, plan: Plan, outcomes: Mapping[str, Outcome]) -> Outcome:
    if key in outcomes:
        return outcomes[key]
    if key in plan.cached:
        hit = plan.cached[key]
        return Outcome(key=key, status=hit.status, note=_cache_note(hit.note), credits=0,
                       data=hit.data)
    return Outcome(key=key, status="skipped", note="not enriched: the run ended before this row")


def _cache_note(note: str) -> str:
    """"from cache", with the day it was enriched when the cache says it ("cached on DAY")."""
    if not note or note == "cached":
        return "from cache"
    if note.startswith("cached on "):
        return f"from cache (enriched on {note.removeprefix('cached on ')})"
    return f"from cache; {note}"


# -- checks before spending ------------------------------------------------------------------


def check_writable(output: Path, report: Path, *, input_path: Path) -> None:
    """Raise OutputError unless the output and the report can be written where asked."""
    if output.suffix.lower() not in SUPPORTED_SUFFIXES:
        raise OutputError(
            f"Cannot write {output.name!r}: the output must end in .csv, .tsv, .txt or .xlsx "
            "(or .xlsm for an .xlsm input). "
            f"Try -o {output.with_suffix('.xlsx').name}."
        )
    if output.suffix.lower() == ".xlsm" and input_path.suffix.lower() != ".xlsm":
        raise OutputError(
            f"Cannot write {output.name!r}: an .xlsm output keeps the macros of an .xlsm input, "
            f"and {input_path.name!r} has none. Try -o {output.with_suffix('.xlsx').name}."
        )
    suggestions = (
        (output, "-o", f"{input_path.stem}.enriched{input_path.suffix}"),
        (report, "--report", default_report_path(output).name),
    )
    for path, what, instead in suggestions:
        if _same_file(path, input_path):
            raise OutputError(
                f"{what} {str(path)!r} names the input file; choose another name, e.g. {instead}."
            )
        _check_target(path, what)
    if _same_file(output, report):
        raise OutputError(
            f"-o and --report name the same file {str(output)!r}; give the report another "
            f"name, e.g. --report {default_report_path(output).name}."
        )


def default_output(input_path: Path) -> Path:
    """Where the output goes when -o is left out: beside the input, as NAME.enriched.EXT (an
    .xls or .ods input gives .xlsx, the formats csv-enrich writes), never over an existing file
    or report: NAME.enriched-2.EXT, -3... when taken."""
    suffix = _OUTPUT_SUFFIX.get(input_path.suffix.lower(), input_path.suffix or ".csv")
    for n in range(1, 10_000):
        name = f"{input_path.stem}.enriched{'' if n == 1 else f'-{n}'}{suffix}"
        path = input_path.with_name(name)
        if not path.exists() and not default_report_path(path).exists():
            return path
    raise OutputError(f"No free output name beside {str(input_path)!r}; give one with -o.")


def check_fits(table: Table, output: Path, kind: Kind) -> None:
    """Raise OutputError if an .xlsx output cannot hold the table (Excel's sheet limits)."""
    if output.suffix.lower() not in (".xlsx", ".xlsm"):
        return
    columns = len(table.headers) + len(columns_for(kind))
    if table.height + 1 > EXCEL_ROWS or columns > EXCEL_COLUMNS:
        raise OutputError(
            f"{table.height:,} rows x {columns:,} columns do not fit in an Excel sheet "
            f"({EXCEL_ROWS - 1:,} rows x {EXCEL_COLUMNS:,} columns at most); "
            f"use -o {output.with_suffix('.csv').name}."
        )


def _same_file(a: Path, b: Path) -> bool:
    if a.exists() and b.exists():
        return os.path.samefile(a, b)
    return a.resolve() == b.resolve()


def _can_replace(path: Path) -> bool:
    """Whether an existing file can be written (Windows refuses one that Excel holds open)."""
    if not os.access(path, os.W_OK):
        return False
    try:
        with path.open("ab"):
            return True
    except OSError:
        return False


def _check_target(path: Path, what: str) -> None:
    folder = path.parent
    if path.is_dir():
        raise OutputError(f"{what} {str(path)!r} is a folder; give a file name.")
    if not folder.is_dir():
        raise OutputError(f"{what}: {_missing_folder(folder)}")
    if path.exists() and not _can_replace(path):
        raise OutputError(
            f"{what}: {str(path)!r} is read-only or open in another program (Excel?); "
            "close it or choose another name."
        )
    try:
        with tempfile.TemporaryFile(dir=folder):
            pass
    except OSError as exc:
        raise OutputError(
            f"{what}: cannot create files in {str(folder)!r} ({_refusal(exc)}); "
            "choose another folder."
        ) from None


def _missing_folder(folder: Path) -> str:
    """Why `folder` cannot hold the file: a part of it is a file, or it does not exist."""
    for part in (folder, *folder.parents):
        if part.exists() and not part.is_dir():
            return f"{str(part)!r} is a file, not a folder; choose another path."
    return f"the folder {str(folder)!r} does not exist; create it first."


def _refusal(exc: OSError) -> str:
    """The reason a folder refused a new file, in words that fit an existing folder."""
    if exc.errno in (errno.EACCES, errno.EPERM):
        return "permission denied"
    if exc.errno == errno.EROFS:
        return "read-only file system"
    if exc.errno == errno.ENOSPC:
        return "the disk is full"
    return "the system does not allow new files there"


# -- output ----------------------------------------------------------------------------------


def write_output(
    table: Table,
    kind: Kind,
    rows: Sequence[Outcome],
    path: Path,
    *,
    report: Report | None = None,
    bom: bool = False,
    delimiter: str | None = None,
) -> list[str]:
    """Write the input's rows with the appended columns to `path` (format by its suffix).

    Returns notes for the person: appended columns renamed to avoid an input column, and
    anything else the writer had to change (e.g. links past Excel's limit).
    """
    if len(rows) != table.height:
        raise ValueError(f"{len(rows)} outcomes for {table.height} rows")
    check_fits(table, path, kind)
    names, notes = appended_headers(table.headers, kind)
    values = appended_values(kind, rows)
    suffix = path.suffix.lower()
    try:
        with atomic_path(path) as tmp:
            if suffix in (".xlsx", ".xlsm"):
                from csv_enrich.output.xlsx import write_xlsx

                summary = None if report is None else with_notes(report, notes)
                notes += write_xlsx(table, kind, names, values, tmp, report=summary)
            else:
                sep = delimiter or _delimiter(table, suffix)
                excel = bom or _wants_bom(table)
                notes += _bom_note(table) if excel and not bom else []
                bare = frozenset(i for i, row in enumerate(rows) if row.status == "not_data")
                write_delimited(table, names, values, tmp, separator=sep, bom=excel, bare=bare)
    except OSError as exc:
        raise OutputError(_write_failed(path, exc)) from exc
    return notes


def _write_failed(path: Path, exc: OSError) -> str:
    name = Path(exc.filename).name if exc.filename else path.name
    where = None if name == path.name or name.startswith(f".{path.name}.") else exc.filename
    because = f"{exc.strerror or exc}" + (f" ({where})" if where else "")
    return (
        f"Could not write {str(path)!r}: {because}. The results are in the cache (unless "
        "--no-cache): the same command, with another -o if needed, writes them without paying "
        "again."
    )


def _wants_bom(table: Table) -> bool:
    """Whether a text output should start with a BOM though --bom was not given: the input was
    text with a BOM or not in UTF-8 (Windows-1252 from Excel), so Excel is what will open it,
    and without a BOM Excel reads UTF-8 as Windows-1252 (mojibake: "MÃ¼ller")."""
    if table.format not in ("csv", "tsv", "txt") or table.encoding is None:
        return False
    return table.encoding.replace("_", "-").lower() not in ("utf-8", "utf8", "ascii")


def _bom_note(table: Table) -> list[str]:
    if table.encoding == "utf-8-sig":
        return ["The output starts with a BOM, as the input did, so Excel reads it as UTF-8."]
    return [
        f"The input was not UTF-8 ({table.encoding}); the output is UTF-8 and starts with a "
        "BOM so Excel shows accented letters right."
    ]


def _delimiter(table: Table, suffix: str) -> str:
    """.tsv: tabs; .csv: the input's delimiter (a European semicolon stays) but never a tab,
    which would open as one column; .txt: the input's delimiter, else tabs."""
    if suffix == ".tsv":
        return "\t"
    given = table.delimiter if table.format in ("csv", "tsv", "txt") else None
    if given and not (suffix == ".csv" and given == "\t"):
        return given
    return "\t" if suffix == ".txt" else ","


__all__ = (
    "SUPPORTED_SUFFIXES",
    "AppendedColumn",
    "TRIGGERS",
    "appended_values",
    "check_fits",
    "check_writable",
    "default_output",
    "join",
    "neutralise",
    "neutralise_expr",
    "write_output",
)
