"""Each data row as it will be judged: its identifier values, or why it is not judged at all.

`readings` gives one `Reading` per data row of a Table: the values `rules.validate` turns into an
identity, the notes the row deserves (a cell that held several addresses), and, for rows that
must not be sent whatever they hold, why: a row that is not data (an empty row, a report footer:
read.layout), or a ragged row of delimited text whose values would land in the wrong columns.

Ragged rows: a row with more fields than the header whose extra fields hold values (an unquoted
delimiter inside a value pushed everything after it right), or a row with fewer fields whose
values moved left (an identifier sits one or more columns before its own: the email under
"Company"). A short row whose values still fit their columns (trailing empty fields dropped by
the exporting tool) is read as it is.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from csv_enrich.mapping.columns import ColumnMap, row_readings
from csv_enrich.read.table import Table
from csv_enrich.rules.cells import first_valid

SHIFT_FIELDS = ("email", "linkedin_url", "website", "domain")


@dataclass(frozen=True)
class Reading:
    """One data row: field -> text, notes for the row, and why it is not sent at all (None
    when it is judged on its values): `not_data` (an empty row, a report footer) or `ragged`."""

    values: dict[str, str]
    notes: tuple[str, ...] = ()
    not_data: str | None = None
    ragged: str | None = None


def readings(table: Table, cmap: ColumnMap) -> Iterator[Reading]:
    """The Reading of every data row of `table`, in order."""
    ragged = ragged_rows(table, cmap)
    for i, (values, notes) in enumerate(row_readings(table, cmap)):
        yield Reading(values, notes, table.non_data.get(i), ragged.get(i))


def ragged_rows(table: Table, cmap: ColumnMap) -> dict[int, str]:
    """Data row index -> what is wrong, for the rows of delimited text whose field count
    differs from the header's and whose values would land in the wrong columns."""
    width, widths = table.header_width, table.widths
    if not width or widths.count(width) == len(widths):  # (a scan in C: mostly, all are)
        return {}
    odd = [i for i, w in enumerate(widths) if w != width and i not in table.non_data]
    if not odd:
        return {}
    found: dict[int, str] = {}
    columns = {f: table.headers.index(h) for f, h in cmap.fields.items() if f in SHIFT_FIELDS}
    for i in odd:
        row = table.frame.row(i)
        problem = _long(table, row, table.widths[i]) or _shifted(table, row, i, columns)
        if problem:
            found[i] = problem
    return found


def _long(table: Table, row: tuple[str | None, ...], fields: int) -> str | None:
    if fields <= table.header_width:
        return None
    extra = [table.headers.index(h) for h in table.beyond_header]
    if not any((row[j] or "").strip() for j in extra):
        return None
    return (
        f"the row has {fields} fields but the header has {table.header_width}: its values "
        "would land in the wrong columns (a delimiter inside a value without quotes?); "
        "fix the row in the file"
    )


def _shifted(
    table: Table, row: tuple[str | None, ...], i: int, columns: dict[str, int]
) -> str | None:
    fields = table.widths[i]
    gap = table.header_width - fields
    if gap <= 0:
        return None
    for field, j in columns.items():
        if first_valid(field, row[j] or ""):
            continue
        for k in range(max(0, j - gap), j):
            if first_valid(field, row[k] or ""):
                return (
                    f"the row has {fields} fields but the header has {table.header_width}: its "
                    f"values moved left (the {field} sits under '{table.headers[k]}'); fix the "
                    "row in the file"
                )
    return None
