"""Open a lead file: pick the reader by its suffix, refuse what is not a table, return a Table."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from csv_enrich.errors import InputError
from csv_enrich.read.plaincsv import plain_bytes, plain_frame
from csv_enrich.read.rawtext import line_end, stat_of
from csv_enrich.read.table import TEXT_FORMATS, WORKBOOK_FORMATS, Grid, Table, build_table

if TYPE_CHECKING:
    import polars as pl


def read_table(
    path: Path,
    *,
    sheet: str | None = None,
    limit: int | None = None,
    accept: Callable[[Table], bool] | None = None,
) -> Table:
    """Read `path` as text. For workbooks: `sheet` if given, else the first sheet `accept`
    approves (else the first sheet). `limit` keeps the first N data rows. Raises InputError."""
    path = Path(path)
    fmt = _format_of(path)
    data_head = _head(path)
    if fmt in WORKBOOK_FORMATS.values():
        from csv_enrich.read.workbook import read_workbook

        return read_workbook(path, fmt, data_head, sheet=sheet, limit=limit, accept=accept)
    return _read_text(path, fmt, data_head, limit)


def _format_of(path: Path) -> str:
    if path.is_dir():
        raise InputError(f"{path}: is a folder, not a file; give one spreadsheet (.csv, .xlsx, "
                         "...), or use `csv-enrich watch` to enrich every file dropped in a folder")
    suffix = path.suffix.lower()
    fmt = TEXT_FORMATS.get(suffix) or WORKBOOK_FORMATS.get(suffix)
    if fmt is None:
        raise InputError(
            f"{path}: unsupported file type '{suffix or '(none)'}'; "
            "use .csv, .tsv, .txt, .xlsx, .xlsm, .xls or .ods"
        )
    return fmt


def _head(path: Path) -> bytes:
    try:
        with path.open("rb") as fh:
            head = fh.read(8192)
    except FileNotFoundError:
        raise InputError(f"{path}: no such file; check the path") from None
    except IsADirectoryError:
        raise InputError(f"{path}: is a folder, not a file; name a CSV or XLSX file") from None
    except OSError as exc:
        raise InputError(
            f"{path}: cannot be opened ({exc.strerror}); check its permissions"
        ) from None
    if not head.strip(b" \t\r\n\x00\xef\xbb\xbf\xff\xfe"):
        raise InputError(f"{path}: the file is empty; export the sheet again with its header row")
    return head


def _read_text(path: Path, fmt: str, head: bytes, limit: int | None) -> Table:
    from csv_enrich.read import text as read_csv

    if head[:4] in (b"PK\x03\x04", b"\xd0\xcf\x11\xe0"):
        raise InputError(
            f"{path}: this is an Excel workbook, not delimited text; rename it to .xlsx (or .xls)"
        )
    stat = stat_of(path)
    if stat[0] > read_csv.MAX_TEXT_BYTES:
        raise InputError(f"{path}: larger than 1 GiB; split it into smaller files")
    grid, delimiter, encoding, end = _text_grid(path, limit)
    notes = read_csv.dialect_notes(delimiter, encoding)
    return build_table(
        path, fmt, grid, limit=limit, delimiter=delimiter, encoding=encoding, notes=notes,
        line_end=end or "\n", source_stat=stat,
    )


def _text_grid(path: Path, limit: int | None) -> tuple[Grid, str, str, str]:
    """The Grid of delimited text, its delimiter, its encoding and its first line's ending.
    UTF-8 text that is plain (read.plaincsv) is split by polars straight from its bytes; other
    text is decoded, then split by polars if plain, else by csv.reader."""
    from csv_enrich.read import text as read_csv

    data = path.read_bytes()
    utf8 = read_csv.utf8_dialect(path, data) if limit is None else None
    frame = plain_bytes(utf8[0], utf8[1]) if utf8 is not None else None
    if utf8 is not None and frame is not None:
        _, delimiter, encoding = utf8
        end = _first_line_end(utf8[0])
        del data, utf8  # the bytes go before the grid is made
        return _grid_from_frame(frame), delimiter, encoding, end
    tried, utf8 = utf8 is not None, None  # (the bytes go as soon as the text is decoded)
    text, delimiter, encoding = read_csv.prepare(path, data)
    del data
    end = line_end(text[: text.find("\n") + 1] or text[: text.find("\r") + 1])
    frame = plain_frame(text, delimiter) if limit is None and not tried else None
    grid = _grid_from_frame(frame) if frame is not None else _grid_from_records(
        read_csv.split_records(path, text, delimiter, limit)
    )
    return grid, delimiter, encoding, end


def _first_line_end(data: bytes) -> str:
    """rawtext.line_end of the text's first line (as _text_grid takes it from decoded text),
    found in its UTF-8 bytes without copying them."""
    at = data.find(b"\n")
    if at >= 0:
        return "\r\n" if data[at - 1 : at] == b"\r" else "\n"
    return "\r" if b"\r" in data else ""


def _grid_from_records(records: Sequence[tuple[int, list[str]]]) -> Grid:
    import polars as pl

    width = max((len(r) for _, r in records), default=0)
    rows = [r if len(r) == width else r + [""] * (width - len(r)) for _, r in records]
    names = [str(i) for i in range(width)]
    if rows and width:  # column by column: much cheaper than orient="row"
        columns = zip(names, zip(*rows, strict=True), strict=True)
        frame = pl.DataFrame([pl.Series(n, c, pl.String) for n, c in columns])
    else:
        frame = pl.DataFrame(rows, schema=dict.fromkeys(names, pl.String), orient="row")
    labels = [str(i + 1) for i in range(width)]
    last = max((i for i, (_, r) in enumerate(records) if any(c.strip() for c in r)), default=-1)
    kept = [i <= last for i in range(len(records))]  # blank lines too, but not trailing ones
    widths = [len(r) for _, r in records]
    return Grid(frame, [line for line, _ in records], labels, kept, widths)


def _grid_from_frame(frame: pl.DataFrame) -> Grid:
    """The Grid _grid_from_records gives for plain text's records (record i on line i + 1),
    empty cells null or "" (the same to build_table)."""
    height, width = frame.shape
    last = next(
        (i for i in range(height - 1, -1, -1) if any(c and c.strip() for c in frame.row(i))), -1
    )
    kept = [True] * (last + 1) + [False] * (height - last - 1)
    labels = [str(i + 1) for i in range(width)]
    return Grid(frame, range(1, height + 1), labels, kept, [width] * height)
