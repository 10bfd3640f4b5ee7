"""The output's header row: the input's headers as written, then the appended columns."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from csv_enrich.read.table import Table


def output_headers(table: Table) -> tuple[str, ...]:
    """The input's header texts exactly as in its file (duplicates kept: CRM import templates
    match on them), not the unique names the reader gives its columns."""
    given = table.source_headers
    return given if len(given) == len(table.headers) else table.headers
