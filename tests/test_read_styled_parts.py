"""styled_cells._parts takes a formula-less tag apart with a one-pass pattern (_PLAIN): the same
frame as when every tag went through _USUAL (the reference, kept below). styled_cells.place
skips `unique` when the cells come in document order: the same frame as before (the reference
kept below)."""

from __future__ import annotations

from dataclasses import replace

import polars as pl
from hypothesis import example, given, settings
from hypothesis import strategies as st
from polars.testing import assert_frame_equal
from test_read_formats_columns import _FORMATS, sheet_cells

from csv_enrich.read.sheet_xml import cells_frame
from csv_enrich.read.styled_cells import _USUAL, _any_order, _parts, match_cells, place
from csv_enrich.read.table import Grid


def _old_parts(tags: pl.DataFrame, ids: str) -> pl.DataFrame:
    """_parts as it was: every tag through _USUAL."""
    usual = pl.col("tag").str.extract_groups(_USUAL)
    tags = tags.with_row_index("at").with_columns(usual.alias("usual"))
    found = tags.filter(pl.col("usual").struct.field("1").is_not_null()).select(
        pl.col("at"),
        pl.col("usual").struct.field("3").cast(pl.Int64).alias("style"),
        pl.col("usual").struct.field("1").alias("letters"),
        (pl.col("usual").struct.field("2").cast(pl.Int64, strict=False) - 1).alias("row"),
        pl.col("usual").struct.field("4").alias("value"),
    )
    others = tags.filter(pl.col("usual").struct.field("1").is_null())
    return pl.concat([found, _any_order(others, ids)]).sort("at")


_TAGS = st.lists(
    st.sampled_from([
        '<c r="A1" s="1"><v>5</v>', '<c r="B2" s="2" t="n"><v>45356.5</v>',
        '<c r="AB12" s="1"><f>A1+1</f><v>7</v>', '<c r="C3" s="1"><f t="shared" si="0"/><v>1</v>',
        '<c s="1" r="D4"><v>9</v>', '<c r="E5" t="n" s="1"><v>2</v>', '<c s="1"><v>3</v>',
        '<c r="F6" s="1" t="s"><v>0</v>', '<c r="G7" s="1"><v></v>', '<c r="H8"  s="1"><v>4</v>',
        '<c r="I9" s="1"><f/><v>6</v>', '<c r="J10" s="12"><v>8</v>', '<c r="K1" s="1" x="<f">'
        '<v>1</v>',
    ]),
    max_size=30,
)  # fmt: skip


@settings(max_examples=300, deadline=None)
@given(_TAGS)
@example([])
def test_parts_takes_every_tag_apart_as_before(tags: list[str]) -> None:
    frame = pl.Series("tag", tags, dtype=pl.String).to_frame()
    assert_frame_equal(_parts(frame, "1|2|12"), _old_parts(frame, "1|2|12"))


@settings(max_examples=200, deadline=None)
@given(sheet_cells(), _FORMATS)
def test_parts_of_what_the_pass_matches_are_as_before(data: bytes, formats: dict[int, str]) -> None:
    """On the tags match_cells finds in sheets written as different writers write them."""
    found = match_cells(data, formats)
    assert found is not None
    ids = "|".join(str(i) for i in sorted(formats))
    frame = found.tags.to_frame()
    assert_frame_equal(_parts(frame, ids), _old_parts(frame, ids))


def _old_place(grid: Grid, cells: pl.DataFrame, first_col: int) -> Grid:
    """styled_cells.place as it was: every cell through unique (the reference)."""
    height, width = grid.frame.height, grid.frame.width
    at = cells.with_columns(c=pl.col("col") - first_col).filter(
        pl.col("c").is_between(0, width - 1) & pl.col("row").is_between(0, height - 1)
    )
    at = at.unique(subset=["row", "c"], keep="last", maintain_order=True)
    frame = grid.frame
    for (c,), group in at.group_by("c"):
        name = frame.columns[int(c)]
        column = frame.get_column(name).clone()
        column.scatter(group.get_column("row"), group.get_column("text"))
        frame = frame.with_columns(column)
    return replace(grid, frame=frame)


_CELLS = st.lists(st.tuples(st.integers(-1, 6), st.integers(0, 6), st.text("xyz", max_size=2)),
                  max_size=20)  # fmt: skip


@settings(max_examples=300, deadline=None)
@given(
    cells=st.one_of(_CELLS, _CELLS.map(sorted)),  # sorted: in document order, mostly
    height=st.integers(0, 5),
    width=st.integers(0, 4),
    first_col=st.integers(0, 2),
)
def test_place_writes_what_it_wrote(
    cells: list[tuple[int, int, str]], height: int, width: int, first_col: int
) -> None:
    """The same frame, a later cell winning at the same place, cells outside left out."""
    frame = pl.DataFrame({str(i): [f"{r}.{i}" for r in range(height)] for i in range(width)},
                         schema={str(i): pl.String for i in range(width)})  # fmt: skip
    grid = Grid(frame, list(range(1, height + 1)), [str(i) for i in range(width)])
    found = cells_frame(cells)
    want = _old_place(grid, found, first_col).frame
    assert_frame_equal(place(grid, found, first_col).frame, want)
