"""Delimited-text output (CSV/TSV/TXT): the input's records, then the appended columns.

When the input is delimited text in the output's delimiter and the file is unchanged since it
was read, every record is copied as the text it was: its quotes, the line breaks inside its
cells, its line ending (CRLF stays CRLF), a final line without one, an Excel "sep=;" line.
Input cells are never changed: a delimited file's cells were already text a spreadsheet reads
as it will read the output (the formula guard, output.guard, is for the API's values). Each data
row gets its appended cells after its last field (a short row is padded with delimiters so they
line up); rows that are not data (blank lines, a report footer) come back alone, nothing
appended. The appended cells are quoted like the input's header: every one when all of the
header's fields are quoted (as Salesforce writes), else only when they need it.

Otherwise (a workbook input, another delimiter, the file changed or gone) each row is written
from the table's cells, in the input's line ending, with blank lines kept blank; a workbook's
text cells get the formula guard there, since a delimited file would turn `=...` text into a
formula the workbook did not have.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Collection, Iterator, Sequence
from typing import IO, TYPE_CHECKING

from csv_enrich.output.guard import TRIGGERS, neutralise, neutralise_expr
from csv_enrich.output.headers import output_headers
from csv_enrich.read.rawtext import RawRecord, field_starts, records, stat_of

if TYPE_CHECKING:
    from pathlib import Path

    import polars as pl

    from csv_enrich.read.table import Table

CHUNK_ROWS = 50_000
TAIL_ROWS = 10_000  # data rows whose appended cells are made (and held) at a time
_TRIGGERS = frozenset(TRIGGERS)


class _Changed(Exception):
    """The input file no longer holds the records the table was read from."""


def write_delimited(
    table: Table,
    names: Sequence[str],
    values: Sequence[Sequence[str | int | None]],
    path: Path,
    *,
    separator: str,
    bom: bool,
    bare: Collection[int] = frozenset(),
) -> None:
    """Write the table's rows with the appended columns (`names`, `values`) to `path`; the
    rows in `bare` (not data: blank lines, a footer) get nothing appended."""
    start = "\ufeff" if bom else ""
    with path.open("w", encoding="utf-8", newline="") as fh:
        fh.write(start)
        if _copyable(table, separator):
            try:
                _copy(table, names, values, fh, separator, bare)
                return
            except (_Changed, OSError, UnicodeError, csv.Error):
                fh.seek(0)
                fh.truncate()
                fh.write(start)
        _render(table, names, values, fh, separator, bare)


def _copyable(table: Table, separator: str) -> bool:
    """Whether the input's own text can be copied: delimited text in this delimiter, unchanged."""
    if table.source_stat is None or table.encoding is None or table.delimiter != separator:
        return False
    try:
        return stat_of(table.path) == table.source_stat
    except OSError:
        return False


# -- copying the input's records -------------------------------------------------------------


def _copy(table: Table, names: Sequence[str], values: Sequence[Sequence[str | int | None]],
          fh: IO[str], sep: str, bare: Collection[int]) -> None:
    quote_all = _quotes_all(table, sep)
    head = sep.join(_quote(n, sep, quote_all) for n in names)
    tails = _Tails(values, sep, quote_all)
    width = _input_width(table)
    if table.header_row == 0:  # no header in the file: the output names its columns first
        fh.write(sep.join(_quote(neutralise(h), sep, False) for h in output_headers(table))
                 + sep + head + table.line_end)
    at = _DataRows(table)
    for rec in _records(table, sep):
        body = rec.body
        if rec.line == table.header_row:
            fh.write(body + sep * (width - len(rec.fields) + 1) + head + rec.end)
        elif (i := at.match(rec.line)) is None or i in bare:
            fh.write(body + rec.end)
        else:
            fh.write(body + sep * (width - len(rec.fields) + 1) + tails[i] + rec.end)
    at.finish()
    if stat_of(table.path) != table.source_stat:
        raise _Changed


def _records(table: Table, sep: str) -> Iterator[RawRecord]:
    assert table.encoding is not None
    return records(table.path, table.encoding, sep)


class _DataRows:
    """Walks the table's data rows (their line numbers) alongside the file's records."""

    def __init__(self, table: Table) -> None:
        self._lines = table.source_rows
        self._next = 0

    def match(self, line: int) -> int | None:
        """The data row starting on `line`, or None (a title row, a trailing blank line)."""
        if self._next < len(self._lines) and self._lines[self._next] == line:
            self._next += 1
            return self._next - 1
        if self._next < len(self._lines) and self._lines[self._next] < line:
            raise _Changed
        return None

    def finish(self) -> None:
        if self._next != len(self._lines):
            raise _Changed


def _quotes_all(table: Table, sep: str) -> bool:
    """Whether every field of the header (else of the first data row) is quoted."""
    target = table.header_row or (table.source_rows[0] if table.source_rows else 0)
    for rec in _records(table, sep):
        if rec.line >= target:
            starts = field_starts(rec.body, sep)
            quoted = rec.body != "" and all(rec.body.startswith('"', s) for s in starts)
            return rec.line == target and quoted
    return False


def _input_width(table: Table) -> int:
    """Fields before the appended ones: the header's, or the widest data row's."""
    widths = [w for i, w in enumerate(table.widths) if i not in table.non_data]
    return max([table.header_width, *widths]) if table.widths else len(table.headers)


# -- writing from the table's cells ----------------------------------------------------------


def _render(table: Table, names: Sequence[str], values: Sequence[Sequence[str | int | None]],
            fh: IO[str], sep: str, bare: Collection[int]) -> None:
    end = table.line_end
    guard = table.encoding is None  # a workbook's cells: its text must not become formulas
    fh.write(_title_lines(table.title_rows, sep, end, guard))
    head = [*(neutralise(h) if guard else h for h in output_headers(table)), *names]
    fh.write(sep.join(_quote(h, sep, False) for h in head) + end)
    tails = _Tails(values, sep, False)
    cells = _cell_lines(table.frame, sep, guard)
    for i, line in enumerate(cells):
        if i not in bare:
            line = line + sep + tails[i]
        elif (table.widths[i] == 0) if table.widths else not line.strip(sep):
            line = ""  # a blank line stays blank
        fh.write(line + end)


def _cell_lines(frame: pl.DataFrame, sep: str, guard: bool) -> Iterator[str]:
    """Each row's cells (guarded when `guard`, quoted when needed) joined by `sep`, a chunk at
    a time."""
    import polars as pl

    def cell(c: str) -> pl.Expr:
        text = pl.col(c).cast(pl.String)
        return neutralise_expr(text) if guard else text

    exprs = [_quote_expr(cell(c), sep, False) for c in frame.columns]
    for start in range(0, frame.height, CHUNK_ROWS):
        part = frame.slice(start, CHUNK_ROWS)
        if not exprs:
            yield from [""] * part.height
            continue
        yield from part.select(pl.concat_str(exprs, separator=sep)).to_series().to_list()


def _title_lines(rows: Sequence[Sequence[str | None]], sep: str, end: str, guard: bool) -> str:
    """The input's rows above its header (a report's title rows), guarded like the cells."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=sep, lineterminator=end)
    for row in rows:
        writer.writerow(["" if c is None else neutralise(c) if guard else c for c in row])
    return buffer.getvalue()


# -- the appended cells ----------------------------------------------------------------------


class _Tails:
    """Per data row, its appended cells as text (`_tails`), made TAIL_ROWS rows at a time as
    the rows are written in order: only one slice's texts are held, not the whole file's."""

    def __init__(self, values: Sequence[Sequence[str | int | None]], sep: str,
                 quote_all: bool) -> None:
        self._values, self._sep, self._quote_all = values, sep, quote_all
        self._start = -1
        self._texts: list[str] = []

    def __getitem__(self, i: int) -> str:
        start = i - i % TAIL_ROWS
        if start != self._start:
            part = [column[start:start + TAIL_ROWS] for column in self._values]
            self._start, self._texts = start, _tails(part, self._sep, self._quote_all)
        return self._texts[i - start]


def _tails(values: Sequence[Sequence[str | int | None]], sep: str, quote_all: bool) -> list[str]:
    """Per data row, its appended cells as text: guarded, quoted, joined by `sep`."""
    import polars as pl

    columns = {f"c{j}": _texts(column) for j, column in enumerate(values)}
    if not columns:
        return []
    frame = pl.DataFrame(columns)
    exprs = [_quote_expr(neutralise_expr(pl.col(c)), sep, quote_all) for c in frame.columns]
    return frame.select(pl.concat_str(exprs, separator=sep)).to_series().to_list()


def _texts(column: Sequence[str | int | None]) -> pl.Series:
    import polars as pl

    return pl.Series([None if v is None else str(v) for v in column], dtype=pl.String)


def _quote_expr(column: pl.Expr, sep: str, quote_all: bool) -> pl.Expr:
    """The cell as CSV text: quoted (quotes doubled) when it holds the delimiter, a quote or a
    line break, or always; an empty cell is empty (or "" when every cell is quoted)."""
    import polars as pl

    text = column.fill_null("")
    quoted = pl.lit('"') + text.str.replace_all('"', '""', literal=True) + pl.lit('"')
    if quote_all:
        return quoted
    needs = text.str.contains(f"[{_class(sep)}\"\r\n]")
    return pl.when(needs).then(quoted).otherwise(text)


def _quote(value: str, sep: str, quote_all: bool) -> str:
    """`_quote_expr` for one cell."""
    if quote_all or any(c in value for c in (sep, '"', "\r", "\n")):
        return '"' + value.replace('"', '""') + '"'
    return value


def _class(sep: str) -> str:
    return "\\t" if sep == "\t" else "\\" + sep if sep in "|^-]\\" else sep
