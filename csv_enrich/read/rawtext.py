"""Delimited text read again as the text it was written as: each record's own characters (quotes,
line breaks inside cells, its line ending), so the output can give every cell back unchanged.

`records` splits the file exactly as read/text.py does (csv.reader(strict=False) over the same
lines, an Excel "sep=" first line read as a blank line) and streams: one record in memory at a
time. `field_starts` finds where each field of one record begins, for the rare record whose
cell must be changed (a formula guard) while the others stay as they were.
"""

from __future__ import annotations

import csv
import functools
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from csv_enrich.read.text import SEP_LINE, unwrap


@dataclass(frozen=True)
class RawRecord:
    """One record: the line it starts on, its text without its line ending, the line ending
    ("\\r\\n", "\\n", "\\r", or "" at the end of a file without one) and its fields as read."""

    line: int
    body: str
    end: str
    fields: list[str]


def stat_of(path: Path) -> tuple[int, int]:
    """What tells whether a file changed since it was read: its size and modification time."""
    st = os.stat(path)
    return st.st_size, st.st_mtime_ns


class _Lines:
    """The file's lines for csv.reader, remembering the ones of the record being read."""

    def __init__(self, lines: Iterator[str]) -> None:
        self._lines = lines
        self._taken: list[str] = []
        self._first = True

    def __iter__(self) -> _Lines:
        return self

    def __next__(self) -> str:
        line = next(self._lines)
        self._taken.append(line)
        if self._first:
            self._first = False
            hint = SEP_LINE.match(line)
            if hint:  # the reader saw what follows "sep=;": a blank line
                return line[hint.end() :]
        return line

    def take(self) -> str:
        text = "".join(self._taken)
        self._taken.clear()
        return text


def records(path: Path, encoding: str, delimiter: str) -> Iterator[RawRecord]:
    """Every record of the delimited file `path` (read as `encoding`), in order."""
    with path.open(encoding=encoding, errors="replace", newline="") as fh:
        lines = _Lines(iter(fh))
        reader = csv.reader(lines, delimiter=delimiter, strict=False)
        line = 0
        for fields in reader:
            text = lines.take()
            end = line_end(text)
            if '="' in text:
                fields = [unwrap(f) for f in fields]
            yield RawRecord(line + 1, text[: len(text) - len(end)], end, fields)
            line = reader.line_num


def line_end(text: str) -> str:
    """The line ending `text` ends with ("\r\n", "\n", "\r"), or ""."""
    if text.endswith("\r\n"):
        return "\r\n"
    return text[-1] if text and text[-1] in "\r\n" else ""


def field_starts(body: str, delimiter: str) -> list[int]:
    """Where each field of a record's text begins, as csv.reader(strict=False) splits it: a
    field opening with a quote is quoted up to its closing quote ("" inside is a quote); after
    that, and in an unquoted field, quotes are plain characters up to the next delimiter."""
    field, starts, at = _field_pattern(delimiter), [0], 0
    while True:
        at = field.match(body, at).end()  # type: ignore[union-attr]  # it matches ""
        if at >= len(body):
            return starts
        at += 1  # the delimiter
        starts.append(at)


@functools.lru_cache(maxsize=8)
def _field_pattern(delimiter: str) -> re.Pattern[str]:
    """One field: quoted (to its closing quote, or the end), then plain text to the delimiter."""
    d = re.escape(delimiter)
    return re.compile(rf'"(?:[^"]|"")*+(?:"[^{d}]*+)?|[^{d}]*+')
