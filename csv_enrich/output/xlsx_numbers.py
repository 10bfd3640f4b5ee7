"""CSV in, XLSX out: which columns may be number cells without Excel showing anything else.

A CSV has no cell types, so the XLSX output keeps every value as text, except in a column whose
every value is a plain number that Excel's General format shows exactly as written: an optional
minus, digits without leading zeros, an optional decimal part not ending in 0, at most 11
characters (General shows no more before it switches to 1.23457E+11). Leading zeros (ZIPs,
account numbers), "+" phones, long IDs, thousands separators, dates written as text, "1.50"
and "-0" stay text, so Excel cannot change them; an empty cell does not count either way.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from csv_enrich.read.table import Table

GENERAL_WIDTH = 11
PLAIN_NUMBER = r"^(?:0|-?[1-9][0-9]*|-?0\.[0-9]*[1-9]|-?[1-9][0-9]*\.[0-9]*[1-9])$"
TEXT_INPUTS = ("csv", "tsv", "txt")
_PLAIN = re.compile(PLAIN_NUMBER)


def is_plain_number(text: str) -> bool:
    """Whether Excel shows the number `text` means exactly as `text` (see the module)."""
    return len(text) <= GENERAL_WIDTH and _PLAIN.match(text) is not None


def as_number(text: str) -> int | float:
    return float(text) if "." in text else int(text)


def plain_number_columns(table: Table) -> list[int]:
    """The indexes of a delimited-text input's columns whose every value is a plain number (in
    the data rows: a report footer or a delimiter-only row under the table does not count)."""
    if table.format not in TEXT_INPUTS:
        return []
    frame = table.frame
    if table.non_data:
        import polars as pl

        keep = pl.Series([i not in table.non_data for i in range(frame.height)])
        frame = frame.filter(keep)
    found = []
    for j, column in enumerate(frame.iter_columns()):
        present = column.drop_nulls()
        plain = present.str.contains(PLAIN_NUMBER) & (present.str.len_chars() <= GENERAL_WIDTH)
        if len(present) and bool(plain.all()):
            found.append(j)
    return found


def numbers_note(headers: Sequence[str], columns: Sequence[int]) -> list[str]:
    if not columns:
        return []
    names = ", ".join(repr(headers[j]) for j in columns)
    return [
        f"Written as numbers in the XLSX output (every value is a plain number that Excel shows "
        f"unchanged): {names}. Every other value of the CSV is text, exactly as in the file."
    ]
