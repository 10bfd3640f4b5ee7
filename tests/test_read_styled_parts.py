"""styled_cells._parts takes a formula-less tag apart with a one-pass pattern (_PLAIN): the same
frame as when every tag went through _USUAL (the reference, kept below)."""

from __future__ import annotations

import polars as pl
from hypothesis import example, given, settings
from hypothesis import strategies as st
from polars.testing import assert_frame_equal
from test_read_formats_columns import _FORMATS, sheet_cells

from csv_enrich.read.styled_cells import _USUAL, _any_order, _parts, match_cells


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
