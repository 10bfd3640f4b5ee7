"""The CSV texts a bulk run imports into its list, made from the identity columns chunk by chunk.

A chunk holds <= MAX_ROWS rows and <= MAX_BYTES, header first, in identity order. Where the
chunks break is worked out on the columns (each row's line length, without writing it); a
chunk's text is written only when that chunk is imported. The breaks are those the first
implementation made (kept as the reference in tests/test_engine_bulk_csv.py), but counted in
UTF-8 bytes throughout: a chunk is closed before a row when it holds MAX_ROWS rows, or when its
text so far and the row's line add up to more than MAX_BYTES bytes. (The first implementation
counted the text so far in characters, so 500 rows of Japanese company names made a ~170 KB
chunk, over the API's 150 KB cap: 413.)
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence

import polars as pl

from csv_enrich.api.wire import MAX_ROWS

COLUMNS = ("email", "linkedin_url", "first_name", "last_name", "company_name", "company_domain")
FIELDS = ("email", "linkedin_url", "first_name", "last_name", "company_name", "domain")
MAX_BYTES = 140 * 1024
# A cell with one of these may be quoted by the csv module: its line's length is measured by
# writing it (rare); any other line is its cells, 5 commas and CRLF.
ODD = r'[,"\x00-\x1f\x7f]'
LINE_END = len(FIELDS) - 1 + 2


def csv_line(cells: Sequence[str]) -> str:
    """One CSV line (CRLF), as the csv module writes it."""
    line = io.StringIO()
    csv.writer(line, lineterminator="\r\n").writerow(cells)
    return line.getvalue()


HEADER = csv_line(COLUMNS)


def chunk_bounds(frame: pl.DataFrame) -> list[int]:
    """Where the chunks of `frame`'s rows break: chunk i holds rows bounds[i] to bounds[i + 1]
    (no chunk for no rows)."""
    sizes = _line_sizes(frame)
    header = len(HEADER.encode())
    bounds, size, count = [0], header, 0
    for row, nbytes in enumerate(sizes):
        if count and (count >= MAX_ROWS or size + nbytes > MAX_BYTES):
            bounds.append(row)
            size, count = header, 0
        size += nbytes
        count += 1
    if count:
        bounds.append(frame.height)
    return bounds


def chunk_text(frame: pl.DataFrame, start: int, end: int) -> str:
    """The CSV text of rows `start` to `end` of `frame`, header first."""
    buf = io.StringIO()
    buf.write(HEADER)
    for row in frame.slice(start, end - start).select(FIELDS).iter_rows():
        buf.write(csv_line([cell or "" for cell in row]))
    return buf.getvalue()


def _line_sizes(frame: pl.DataFrame) -> list[int]:
    """Each row's CSV line length in UTF-8 bytes."""
    cells = [pl.col(f).fill_null("") for f in FIELDS]
    out = frame.select(
        nbytes=pl.sum_horizontal(c.str.len_bytes() for c in cells).cast(pl.Int64) + LINE_END,
        odd=pl.any_horizontal(c.str.contains(ODD) for c in cells))
    sizes, mask = out.get_column("nbytes"), out.get_column("odd")
    odd = mask.arg_true()
    if odd.len():
        lines = [csv_line([c or "" for c in row])
                 for row in frame.select(FIELDS).filter(mask).iter_rows()]
        sizes = sizes.scatter(odd, pl.Series([len(x.encode()) for x in lines], dtype=pl.Int64))
    return sizes.to_list()
