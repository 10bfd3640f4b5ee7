"""Plain delimited text split by polars: used only where it provably gives the same records as
csv.reader(strict=False) (the reference path in read/text.py), and record i is line i + 1.

"Plain" means: one record per line, every line of the same width, no blank line, line ends
\\n or \\r\\n (no lone \\r, not both kinds), no NUL, no leading BOM left in the text, no field
longer than the csv module's field limit, and every quote opens and closes a whole field on one
line (doubled inside). Anything else (quoted newlines, stray quotes, ="00123" cells, ragged rows)
returns None and the caller splits the text with csv.reader as before.

The proof is made column-wise, streamed (a chunk of lines at a time, not a copy of the text):
polars splits the bytes into lines (no quote character, so a line is exactly the bytes between
two line ends, checked by adding up their lengths); the lines without a quote are counted for
delimiters, the others matched against the grammar of a plain line of the first line's width
(a Rust regex, one linear pass); then polars splits the fields.
"""

from __future__ import annotations

import codecs
import csv
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

from csv_enrich.read.background import in_thread

if TYPE_CHECKING:
    import polars as pl

T = TypeVar("T")
FIELD_LIMIT = 131072  # csv.field_size_limit()'s default: csv.reader refuses longer fields


def plain_frame(text: str, delimiter: str) -> pl.DataFrame | None:
    """The records of `text` as String columns "0", "1", ... when `text` is plain (see the
    module doc), else None. An empty field is null (polars reads it so, without a copy of
    every column to make it so later); a quoted empty one ("") may be "" too."""
    if not text or text[0] == "\ufeff":
        return None
    try:
        data = text.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate: leave it to csv.reader
        return None
    return plain_bytes(data, delimiter)


def plain_bytes(data: bytes, delimiter: str) -> pl.DataFrame | None:
    """plain_frame of UTF-8 `data` without decoding it in Python (None too when it is not
    valid UTF-8: polars checks every byte while splitting the lines)."""
    if not data or data.startswith(codecs.BOM_UTF8) or b"\x00" in data:
        return None
    width = _width(_first_line(data), delimiter)
    if not width:
        return None
    # Split while the lines are surveyed (polars lets go of the GIL in both): what the split
    # gave, or raised, counts only once the survey proves the text plain, as if it had been
    # split then. (A quote in the text is on one of its lines.)
    split = in_thread(lambda: _attempt(lambda: _split(data, delimiter, width,
                                                      quotes=b'"' in data)))
    lines = _lines_survey(data, delimiter, width)
    frame, error = split()
    if lines is None or not _one_record_per_line(lines, data):
        return None
    if error is not None:
        raise error
    if frame is None or frame.height != lines["lines"] or _too_long(frame, len(data)):
        return None
    return frame


def _attempt(work: Callable[[], T]) -> tuple[T | None, BaseException | None]:
    """(what `work()` gave, None), or (None, what it raised): a polars panic too."""
    try:
        return work(), None
    except BaseException as exc:  # (in a thread, never KeyboardInterrupt)
        return None, exc


def _first_line(data: bytes) -> str:
    """The first line as polars gives it (its \\r\\n or \\n taken off); "" if not UTF-8."""
    end = data.find(b"\n")
    line = data[: end if end >= 0 else len(data)]
    try:
        return line.removesuffix(b"\r").decode("utf-8")
    except UnicodeDecodeError:
        return ""


def _width(line: str, delimiter: str) -> int:
    """The number of fields csv.reader finds on `line` (0: it refuses a field that long)."""
    try:
        return len(next(csv.reader([line], delimiter=delimiter, strict=False), []))
    except csv.Error:
        return 0


def _lines_survey(data: bytes, delimiter: str, width: int) -> dict[str, Any] | None:
    """What the lines of `data` (polars, splitting at NUL: there is none, and no quote
    character, so a line is every byte up to a line end) hold, streamed a chunk at a time:
    how many, their total length, the shortest, whether any holds \\r or =", whether any holds
    a quote, and whether all hold `width` fields (counted where there is no quote, else
    matched against the grammar of a plain line). None when they are not UTF-8."""
    import polars as pl

    line = pl.col("line")
    quoted = line.str.contains('"', literal=True)
    size = line.str.len_bytes()
    survey = pl.scan_csv(
        data, has_header=False, separator="\x00", quote_char=None, infer_schema=False,
        empty_string_is_null=False, new_columns=["line"],
    ).select(
        lines=pl.len(), total=size.cast(pl.UInt64).sum(), shortest=size.min(),
        odd=line.str.contains(r'="|\r').any(), quotes=quoted.any(),
        counted=line.filter(~quoted).str.count_matches(delimiter, literal=True)
        .eq(width - 1).all(),
        matched=line.filter(quoted).str.contains(_line_pattern(delimiter, width)).all(),
    )  # fmt: skip
    try:
        return survey.collect(engine="streaming").row(0, named=True)
    except pl.exceptions.PolarsError:  # not UTF-8; a pattern too big for so many columns
        return None
    except (TypeError, ValueError):  # a polars too old to scan bytes or stream: csv.reader
        return None


def _one_record_per_line(lines: dict[str, Any], data: bytes) -> bool:
    """Every line non-blank, of the width, without \\r or =" in it, and the lines with their
    line ends (all \\r\\n when there is a \\r at all, else \\n) make up the whole text."""
    if not lines["lines"] or not lines["shortest"] or lines["odd"]:
        return False
    if not (lines["counted"] and lines["matched"]):
        return False
    ends = lines["lines"] - (not data.endswith(b"\n"))
    return bool(len(data) == lines["total"] + ends * (2 if b"\r" in data else 1))


def _line_pattern(delimiter: str, width: int) -> str:
    """A (Rust) regex for a plain line of `width` fields: each field either free of quotes,
    delimiters and line ends, or quoted whole with "" inside and no line end."""
    d = f"\\x{{{ord(delimiter):x}}}"
    field = rf'(?:[^"{d}\r\n]*|"(?:[^"\r\n]|"")*")'
    return rf"^{field}(?:{d}{field}){{{width - 1}}}$"


def _split(data: bytes, delimiter: str, width: int, *, quotes: bool) -> pl.DataFrame | None:
    import polars as pl

    try:
        frame = pl.read_csv(
            data, has_header=False, separator=delimiter, quote_char='"' if quotes else None,
            infer_schema=False, empty_string_is_null=True,
            new_columns=[str(i) for i in range(width)],
        )  # fmt: skip
    except pl.exceptions.PolarsError:
        return None
    return frame if frame.width == width else None


def _too_long(frame: pl.DataFrame, size: int) -> bool:
    """A field longer than csv.reader accepts (counted in characters, as csv does)."""
    import polars as pl

    if size <= FIELD_LIMIT or frame.width == 0:
        return False
    if frame.select(pl.all().str.len_bytes().max()).max_horizontal().item() <= FIELD_LIMIT:
        return False  # no field has that many bytes, so not that many characters either
    longest = frame.select(pl.all().str.len_chars().max()).max_horizontal().item()
    return longest is not None and longest > FIELD_LIMIT
