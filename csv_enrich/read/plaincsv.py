"""Plain delimited text split by polars: used only where it provably gives the same records as
csv.reader(strict=False) (the reference path in read/text.py), and record i is line i + 1.

"Plain" means: one record per line, every line of the same width, no blank line, line ends
\\n or \\r\\n (no lone \\r), no NUL, no leading BOM left in the text, no field longer than the csv
module's field limit, and every quote opens and closes a whole field on one line (doubled inside).
Anything else (quoted newlines, stray quotes, ="00123" cells, ragged rows) returns None and the
caller splits the text with csv.reader as before.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import polars as pl

FIELD_LIMIT = 131072  # csv.field_size_limit()'s default: csv.reader refuses longer fields


def _quoted(delimiter: str) -> re.Pattern[str]:
    """A whole quoted field: its quote after a delimiter or a line start (checked behind the
    quote, so the search can jump from quote to quote), closed before a delimiter or a line
    end; "" inside is a quote. Possessive, so it never backtracks."""
    d = re.escape(delimiter)
    return re.compile(rf'"(?<![^{d}\n]")(?:[^"\r\n]++|"")*+"(?=[{d}\r\n]|\Z)')


def plain_frame(text: str, delimiter: str) -> pl.DataFrame | None:
    """The records of `text` as String columns "0", "1", ... when `text` is plain (see the
    module doc), else None."""
    if not text or text[0] == "\ufeff" or "\x00" in text or '="' in text:
        return None  # ="..." anywhere: the reference path unwraps such fields after splitting
    if text.count("\r") != text.count("\r\n"):
        return None
    bare = _quoted(delimiter).sub("", text) if '"' in text else text
    if '"' in bare:
        return None
    widths = _line_widths(bare, delimiter)
    del bare
    if widths is None:
        return None
    return _split(text, delimiter, *widths)


def _line_widths(bare: str, delimiter: str) -> tuple[int, int] | None:
    """(lines, fields per line) when every line is non-blank and of one width."""
    lines = bare.split("\n")
    if lines[-1] == "":
        lines.pop()
    if not lines or any(line in ("", "\r") for line in lines):
        return None
    counts = {line.count(delimiter) for line in lines}
    if len(counts) != 1:
        return None
    return len(lines), counts.pop() + 1


def _split(text: str, delimiter: str, lines: int, width: int) -> pl.DataFrame | None:
    import polars as pl

    try:
        data = text.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate: leave it to csv.reader
        return None
    frame = pl.read_csv(
        data,
        has_header=False,
        separator=delimiter,
        quote_char='"' if '"' in text else None,
        infer_schema=False,
        empty_string_is_null=False,
        new_columns=[str(i) for i in range(width)],
    )
    if frame.shape != (lines, width) or frame.null_count().sum_horizontal().item():
        return None
    longest = frame.select(pl.all().str.len_chars().max()).max_horizontal().item()
    return None if longest is not None and longest > FIELD_LIMIT else frame  # csv.reader refuses
