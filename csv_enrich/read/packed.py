"""A table's cells kept compressed while a run does not read them.

Between the plan and the output an enriching run never reads the input's cells, yet they are the
largest thing it holds (a 100k-row CSV's: ~31 MiB). `PackedFrame` keeps a frame's columns as
Arrow IPC compressed with zstd, one column at a time (what packing adds at once is one column's
worth, not the frame's), and gives back the same frame: the same columns, names, types, values
and nulls (`Table.pack` / `Table.frame`; tests/test_read_packed.py).
"""

from __future__ import annotations

import io
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import polars as pl


class PackedFrame:
    """`frame`'s columns, each as compressed Arrow IPC; `unpack` makes the frame again."""

    __slots__ = ("_columns", "height", "width")

    def __init__(self, frame: pl.DataFrame) -> None:
        self.height, self.width = frame.height, frame.width
        self._columns = tuple(_packed(frame.select(name)) for name in frame.columns)

    def unpack(self) -> pl.DataFrame:
        """The frame that was packed."""
        import polars as pl

        if not self._columns:
            return pl.DataFrame()
        return pl.concat([pl.read_ipc(io.BytesIO(data))
                          for data in self._columns], how="horizontal")

    def size(self) -> int:
        """The bytes the packed columns take."""
        return sum(len(data) for data in self._columns)


def _packed(column: pl.DataFrame) -> bytes:
    buffer = io.BytesIO()
    column.write_ipc(buffer, compression="zstd")
    return buffer.getvalue()
