"""The appended columns' cells, read from the joined rows' outcomes when the writers ask for them:
a 100k-row output never holds them as lists (10 columns x 100k cells were ~8 MiB)."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import overload

from csv_enrich.models import Kind, Outcome, columns_for


def appended_values(kind: Kind, rows: Sequence[Outcome]) -> list[AppendedColumn]:
    """The appended columns (in `columns_for(kind)` order), each a sequence of cell values
    made from `rows` as they are read (not held: 100k rows x 10 columns of them were ~8 MiB)."""
    return [AppendedColumn(name, rows) for name in columns_for(kind)]


class AppendedColumn(Sequence[str | int | None]):
    """One appended column's cells, worked out from the rows' outcomes when asked for (by
    index or slice); equal to a list of the same cells."""

    __slots__ = ("_cell", "_rows")

    def __init__(self, name: str, rows: Sequence[Outcome]) -> None:
        self._rows = rows
        self._cell = _reader(name)

    def __len__(self) -> int:
        return len(self._rows)

    @overload
    def __getitem__(self, index: int) -> str | int | None: ...

    @overload
    def __getitem__(self, index: slice) -> list[str | int | None]: ...

    def __getitem__(self, index: int | slice) -> str | int | None | list[str | int | None]:
        if isinstance(index, slice):
            return [self._cell(row) for row in self._rows[index]]
        return self._cell(self._rows[index])

    def __iter__(self) -> Iterator[str | int | None]:
        return map(self._cell, self._rows)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Sequence) or isinstance(other, str):
            return NotImplemented
        return len(self) == len(other) and all(a == b for a, b in zip(self, other, strict=True))

    __hash__ = None  # type: ignore[assignment]


def _reader(name: str) -> Callable[[Outcome], str | int | None]:
    """How column `name` reads a row's cell: nothing for a row that is not data (an empty row
    or a report footer stays as it was), else its status, note, credits or enriched value."""
    if name == "enrichment_status":
        return lambda row: None if row.status == "not_data" else row.status
    if name == "enrichment_note":
        return lambda row: None if row.status == "not_data" else row.note or None
    if name == "enrichment_credits":
        return lambda row: None if row.status == "not_data" else row.credits
    field = name.removeprefix("enriched_")
    return lambda row: None if row.status == "not_data" else row.data.get(field) or None
