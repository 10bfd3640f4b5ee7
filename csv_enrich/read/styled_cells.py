"""The number cells of a sheet whose style has a number format, found and shown column-wise.

`styled_cells` does what sheet_xml's per-cell path (`_styled_cells`) does, with polars: one
regular-expression pass over the sheet's XML (Rust's regex engine, which skips ahead to the
style attribute instead of trying every cell) picks the cells whose style is one of the
formatted ones; their reference, type and value are taken apart as columns; each style's
values are rendered by numfmt_columns.render_column. The same cells come out, in the same
order, with the same text: the patterns below are sheet_xml's, written without look-arounds
(a cell start tag holding s="N", then the same checks on its attributes).

`place` writes (row, column, text) cells into a Grid, one scatter per column.
"""

from __future__ import annotations

from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from csv_enrich.read.numfmt_columns import render_column
from csv_enrich.read.table import Grid

if TYPE_CHECKING:
    import polars as pl

_B = r"(?-u:\b)"  # an ASCII word boundary, as in sheet_xml's bytes patterns
_FORMULA = rf"(?:<f{_B}[^>]*/>|<f{_B}[^>]*>[^<]*</f>)?"
_CELL = rf'<c{_B}[^>]*?{_B}s="(?:{{ids}})"[^>]*>{_FORMULA}<v>[^<]*</v>'
_ATTRS = rf"^<c{_B}([^>]*)>"
_STYLE = rf'(?s)^.*{_B}s="({{ids}})"'
_REF = rf'(?s)^.*{_B}r="([A-Z]{{1,3}})([0-9]+)"'
_NOT_NUMBER = rf'{_B}t="[^n"]'
_VALUE = r"<v>([^<]*)</v>$"
# The usual cell (Excel's and most writers' attribute order): its parts in one match.
_USUAL = rf'^<c r="([A-Z]{{1,3}})([0-9]+)" s="([0-9]+)"(?: t="n")?>{_FORMULA}<v>([^<]*)</v>$'
# _USUAL without the formula: for a tag holding no "<f" the same match and groups, and one
# pass (each byte tells what comes next: the regex engine needs no backtracking, ~3x faster).
_PLAIN = r'^<c r="([A-Z]{1,3})([0-9]+)" s="([0-9]+)"(?: t="n")?><v>([^<]*)</v>$'


# Markers of the cells sheet_xml finds cell by cell (booleans, errors, long numbers): whether
# the sheet holds any is learnt in the same pass (see Finds).
_MARKS = r't="[be]"|<v>-?[0-9.]+E'
_EXPONENT = r"<v>-?[0-9.]+E"


@dataclass(frozen=True)
class Finds:
    """What one pass over a sheet's XML found: the styled cells (row, col, text) and whether
    the XML holds t="b", t="e" and <v>-?[0-9.]+E anywhere (as `in` and re.search would say)."""

    cells: pl.DataFrame
    booleans: bool
    errors: bool
    exponents: bool


def styled_cells(
    data: bytes, formats: dict[int, str], piece: int = 4 << 20
) -> pl.DataFrame | None:
    """(row, col, text) of the numeric cells whose style has one of `formats` (style index ->
    format code), in document order, rows and columns 0-based; None when the XML is not UTF-8
    (the caller then takes the per-cell path). The XML is searched `piece` bytes at a time."""
    finds = find_cells(data, formats, piece)
    return None if finds is None else finds.cells


def find_cells(data: bytes, formats: dict[int, str], piece: int = 4 << 20) -> Finds | None:
    """styled_cells, and the markers of Finds, in one pass; None when the XML is not UTF-8."""
    matches = match_cells(data, formats, piece)
    return None if matches is None else matches.finds()


# What read.limits' scan looks for (its _CANDIDATE, ASCII digits), and the row tags it counts:
# the same pass tells whether the container must scan the sheet itself (Matches.suspect).
_CANDIDATE = r'r="(?:[0-9]{7}|[A-Z](?:[A-Z]|[0-9]{7}))'
_ROW = "<row"


@dataclass(frozen=True)
class Matches:
    """One pass over a sheet's XML: the tags of the styled cells (document order) and the
    Finds markers, with whether read.limits' candidate pattern matches anywhere and how many
    "<row" the XML holds (as bytes.count says)."""

    tags: pl.Series
    formats: dict[int, str]
    booleans: bool
    errors: bool
    exponents: bool
    candidates: bool
    rows: int

    @property
    def suspect(self) -> bool:
        """Whether the container's own scan could refuse the sheet or find it reaching past
        column Z or row 999,999 (else it cannot: nothing it looks for is there)."""
        from csv_enrich.read import limits

        return self.candidates or self.rows > limits.EXCEL_ROWS

    def finds(self) -> Finds:
        """The styled cells rendered, with the markers."""
        ids = "|".join(str(i) for i in sorted(self.formats))
        return Finds(_shown(self.tags, ids, self.formats), self.booleans, self.errors,
                     self.exponents)


def match_cells(data: bytes, formats: dict[int, str], piece: int = 4 << 20) -> Matches | None:
    """The one pass of find_cells, and of the container's limits: None when the XML is not
    UTF-8. A marker, candidate or "<row" inside a matched cell is looked for in the cell's
    text: the alternation skips it (none can hold '<c' or cross a cell's end, and none can
    start inside another: each is in a cell or matched alone)."""
    pattern = _pattern(formats)
    spans = pieces(data, piece)
    if len(spans) > 1:  # two pieces at a time (polars lets the GIL go): two cores, half the time
        with ThreadPoolExecutor(max_workers=2) as pool:
            found = list(pool.map(lambda s: _extract(data[s[0] : s[1]], pattern), spans))
    else:
        found = [_extract(data[a:b], pattern) for a, b in spans]
    return _matches(found, formats)


def _pattern(formats: dict[int, str]) -> str:
    """The alternation match_cells searches for."""
    ids = "|".join(str(i) for i in sorted(formats))
    cells = [_CELL.format(ids=ids)] if formats else []
    return "|".join([*cells, _MARKS, _CANDIDATE, _ROW])


def _extract(piece: bytes, pattern: str) -> pl.Series | None:
    """Every match of `pattern` in one piece of the XML; None when it is not UTF-8."""
    import polars as pl

    try:
        xml = pl.Series([piece], dtype=pl.Binary).cast(pl.String)
    except pl.exceptions.ComputeError:  # not UTF-8
        return None
    return xml.str.extract_all(pattern).explode().drop_nulls()


def _matches(found: list[pl.Series | None], formats: dict[int, str]) -> Matches | None:
    """match_cells' Matches of the pieces' matches, in document order."""
    import polars as pl

    if any(series is None for series in found):
        return None
    matches = pl.concat([series for series in found if series is not None]).rename("tag")
    is_cell, is_row = matches.str.starts_with("<c"), matches == _ROW
    is_candidate = matches.str.starts_with('r="')
    tags = matches.filter(is_cell)
    marks = matches.filter(~is_cell & ~is_row & ~is_candidate)
    rows = int(is_row.sum()) + int(tags.str.count_matches(_ROW, literal=True).sum())
    candidates = bool(is_candidate.any()) or bool(tags.str.contains(_CANDIDATE).any())
    return Matches(
        tags=tags, formats=formats,
        booleans=_marked(marks, tags, 't="b"'),
        errors=_marked(marks, tags, 't="e"'),
        exponents=_marked(marks, tags, _EXPONENT),
        candidates=candidates, rows=rows,
    )  # fmt: skip


STREAM_PIECE = 4 << 20  # CellStream's piece size, as match_cells' default
_END_ROW = b"</row>"
_LOOK = 1 << 16  # how much past a piece's minimum size is searched for its cut at a time


class CellStream:
    """match_cells of a sheet's XML as it is unzipped: each piece, cut as `pieces` cuts it, is
    searched in a worker thread as soon as it is whole, while the next is unzipped (zlib and
    polars let the GIL go: on two cores the search hides behind the unzipping instead of
    following it). The same pieces as match_cells', so the same Matches. At most two pieces
    (copies of their bytes) wait for the worker at a time."""

    def __init__(self, formats: dict[int, str], size: int = STREAM_PIECE) -> None:
        self.formats, self.size = formats, size
        self.pattern = _pattern(formats)
        self.pool = ThreadPoolExecutor(max_workers=1)
        self.found: list[Future[pl.Series | None]] = []
        self.start, self.at = 0, size  # the next piece's start; where its cut is looked for

    def feed(self, view: memoryview, end: int) -> None:
        """The XML unzipped so far is view[:end]: every piece now whole is sent."""
        while (cut := self._cut(view, end, final=False)) is not None:
            self._send(view, cut)

    def result(self, data: bytes) -> Matches | None:
        """match_cells(data, formats) once `data`, the whole XML, was fed."""
        view = memoryview(data)
        while (cut := self._cut(view, len(data), final=True)) is not None:
            self._send(view, cut)
        if len(data) > self.start or self.start == 0:
            self._send(view, len(data))
        try:
            found = [future.result() for future in self.found]
        finally:
            self.close()
        return _matches(found, self.formats)

    def close(self) -> None:
        """Let the worker go (a piece being searched is finished, the others are dropped)."""
        self.pool.shutdown(wait=False, cancel_futures=True)

    def _cut(self, view: memoryview, end: int, final: bool) -> int | None:
        """The end of the piece from `start` as `pieces` cuts it (just after the first </row>
        from `at` that no <v or <f follows), when view[:end] tells; `final`: end is the end."""
        while end - self.at >= len(_END_ROW):
            high = min(end, self.at + _LOOK)
            found = bytes(view[self.at : high]).find(_END_ROW)
            if found < 0:
                self.at = high - len(_END_ROW) + 1
                continue
            after = self.at + found + len(_END_ROW)
            if end - after < 2 and not final:
                self.at += found  # what follows it is not unzipped yet
                return None
            if bytes(view[after : after + 2]) in (b"<v", b"<f"):
                self.at = after
                continue
            return after
        return None

    def _send(self, view: memoryview, cut: int) -> None:
        piece = bytes(view[self.start : cut])
        if len(self.found) >= 2:
            self.found[-2].result()  # the worker is behind: wait rather than queue more copies
        self.found.append(self.pool.submit(_extract, piece, self.pattern))
        self.start, self.at = cut, cut + self.size


def _marked(marks: pl.Series, tags: pl.Series, mark: str) -> bool:
    literal = mark.startswith("t=")
    return bool(marks.str.contains(mark, literal=literal).any()) or bool(
        tags.str.contains(mark, literal=literal).any()
    )


def _shown(tags: pl.Series, ids: str, formats: dict[int, str]) -> pl.DataFrame:
    """(row, col, text) of the matched cells, their values rendered in their formats."""
    import polars as pl

    if tags.is_empty():
        return _empty()
    parts = _parts(tags.to_frame(), ids)
    shown = [
        group.with_columns(text=render_column(group.get_column("value"), formats[style]))
        for (style,), group in parts.group_by("style")
    ]
    if not shown:
        return _empty()
    cells = pl.concat(shown).sort("at").drop_nulls("text")
    return cells.select(pl.col("row"), _columns(cells.get_column("letters")), pl.col("text"))


def pieces(data: bytes, size: int) -> list[tuple[int, int]]:
    """(start, end) of consecutive pieces of about `size` bytes covering `data`, each cut just
    after a </row> that is not followed by <v or <f. No cell match can cross such a cut: it
    would hold the '>' of </row> as its start tag's end, which <v or <f must follow. (polars'
    regex functions take several times a string's size in memory: 4 MiB pieces keep that
    small.)"""
    cuts = [0]
    at = size
    while (found := data.find(b"</row>", at)) >= 0:
        after = found + len(b"</row>")
        if data[after : after + 2] in (b"<v", b"<f"):
            at = after
            continue
        cuts.append(after)
        at = after + size
    return [(a, b) for a, b in zip(cuts, [*cuts[1:], len(data)], strict=True) if b > a or a == 0]


def _parts(tags: pl.DataFrame, ids: str) -> pl.DataFrame:
    """Each matched cell's style, column letters, 0-based row and raw value (cells without a
    reference, or typed as other than numbers, left out), with its position in `at`. A tag
    holding no "<f" is taken apart by _PLAIN (_USUAL's match and groups there, in one scan)."""
    import polars as pl

    tags = tags.with_row_index("at")
    formula = pl.col("tag").str.contains("<f", literal=True)
    tags = pl.concat([
        tags.filter(~formula).with_columns(pl.col("tag").str.extract_groups(_PLAIN).alias("usual")),
        tags.filter(formula).with_columns(pl.col("tag").str.extract_groups(_USUAL).alias("usual")),
    ])  # fmt: skip
    usual = pl.col("usual").struct.field("1").is_not_null()
    found = tags.filter(usual).select(
        pl.col("at"),
        pl.col("usual").struct.field("3").cast(pl.Int64).alias("style"),
        pl.col("usual").struct.field("1").alias("letters"),
        (pl.col("usual").struct.field("2").cast(pl.Int64, strict=False) - 1).alias("row"),
        pl.col("usual").struct.field("4").alias("value"),
    )
    others = tags.filter(~usual)
    if others.is_empty():
        return found.sort("at")
    return pl.concat([found, _any_order(others, ids)]).sort("at")


def _any_order(tags: pl.DataFrame, ids: str) -> pl.DataFrame:
    """_parts for cells whose attributes come in any order, as sheet_xml's look-aheads take
    them: the last s="N" and r="..." of the start tag."""
    import polars as pl

    attrs = pl.col("tag").str.extract(_ATTRS, 1)
    ref = attrs.str.extract_groups(_REF)
    frame = tags.select(
        pl.col("at"),
        attrs.str.extract(_STYLE.format(ids=ids), 1).cast(pl.Int64).alias("style"),
        ref.struct.field("1").alias("letters"),
        (ref.struct.field("2").cast(pl.Int64, strict=False) - 1).alias("row"),
        attrs.str.contains(_NOT_NUMBER).alias("typed"),
        pl.col("tag").str.extract(_VALUE, 1).alias("value"),
    )
    return frame.filter(pl.col("letters").is_not_null() & ~pl.col("typed")).drop("typed")


def _columns(letters: pl.Series) -> pl.Series:
    """0-based column indexes of Excel column letters (A -> 0, AB -> 27)."""
    import polars as pl

    distinct = letters.unique().to_list()
    indexes = [column_index(text) for text in distinct]
    return letters.replace_strict(distinct, indexes, return_dtype=pl.Int64).alias("col")


def column_index(letters: str) -> int:
    """0-based index of Excel column letters."""
    index = 0
    for ch in letters:
        index = index * 26 + (ord(ch) - 64)
    return index - 1


def _empty() -> pl.DataFrame:
    import polars as pl

    return pl.DataFrame(schema={"row": pl.Int64, "col": pl.Int64, "text": pl.String})


def place(grid: Grid, cells: pl.DataFrame, first_col: int) -> Grid:
    """The grid with the (row, col, text) `cells` written in, a later cell winning over an
    earlier one at the same place; `col` is a sheet column, `first_col` the sheet column of
    the grid's first column; cells outside the grid are left out."""
    import polars as pl

    height, width = grid.frame.height, grid.frame.width
    at = cells.with_columns(c=pl.col("col") - first_col).filter(
        pl.col("c").is_between(0, width - 1) & pl.col("row").is_between(0, height - 1)
    )
    places = at.select(pl.col("row") * width + pl.col("c")).to_series()
    if not (places.diff().drop_nulls() > 0).all():  # (in document order: no place twice)
        at = at.unique(subset=["row", "c"], keep="last", maintain_order=True)
    frame = grid.frame
    for (c,), group in at.group_by("c"):
        name = frame.columns[int(c)]
        column = frame.get_column(name).clone()
        column.scatter(group.get_column("row"), group.get_column("text"))
        frame = frame.with_columns(column)
    return replace(grid, frame=frame)
