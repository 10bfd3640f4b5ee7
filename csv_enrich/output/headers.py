"""The output's header row: the input's headers as written, then the appended columns, each
named so that it never clashes with an input column."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from csv_enrich.models import Kind, columns_for

if TYPE_CHECKING:
    from csv_enrich.read.table import Table


def output_headers(table: Table) -> tuple[str, ...]:
    """The input's header texts exactly as in its file (duplicates kept: CRM import templates
    match on them), not the unique names the reader gives its columns."""
    given = table.source_headers
    return given if len(given) == len(table.headers) else table.headers


def appended_headers(headers: Sequence[str], kind: Kind) -> tuple[list[str], list[str]]:
    """The names of the appended columns for a file with these headers, and a note for each one
    renamed because the input already has a column of that name (compared ignoring case)."""
    taken = {h.casefold() for h in headers}
    names: list[str] = []
    notes: list[str] = []
    for name in columns_for(kind):
        new, n = name, 1
        while new.casefold() in taken:
            n += 1
            new = f"{name}_{n}"
        if new != name:
            notes.append(f"The input already has a column {name!r}; the new one is {new!r}.")
        taken.add(new.casefold())
        names.append(new)
    return names, notes
