"""The formula guard of delimited text: a cell a spreadsheet would run gets a leading apostrophe.

One rule (OWASP): a cell starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return gets
a leading apostrophe, unless it starts with ``+`` or ``-`` and is made only of digits, spaces
and ``+-().,/`` (phones such as ``+1 (415) 555-0123``, numbers and sums of numbers such as
``-12.5``, ``-1-1`` and ``-2+3``), or is a number in E notation (``-1.5e10``): with no letter,
name or reference in it, such a cell cannot call or read anything.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import polars as pl

TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
_SAFE = r"[+-][0-9 .,()/+-]*|[+-]?[0-9]*\.?[0-9]+[eE][+-]?[0-9]+"
_SAFE_RE = re.compile(_SAFE)


def neutralise(value: str) -> str:
    """The CSV form of a cell: an apostrophe before anything a spreadsheet would run."""
    if value.startswith(TRIGGERS) and not _SAFE_RE.fullmatch(value):
        return "'" + value
    return value


def neutralise_expr(column: pl.Expr) -> pl.Expr:
    """`neutralise` as a polars expression over a String column (nulls stay null; the column
    keeps its name)."""
    import polars as pl

    risky = column.str.contains(r"^[=+\-@\t\r]") & ~column.str.contains(f"^(?:{_SAFE})$")
    return pl.when(risky).then(pl.lit("'") + column).otherwise(column).name.keep()
