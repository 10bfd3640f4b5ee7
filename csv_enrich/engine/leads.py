"""A list's leads read back as columns: one polars frame, not one `Lead` object per lead.

`LeadFrame` holds the leads in the order the list returned them (a lead's row is its position);
`LeadData` is one lead's data (Outcome.data keys) read from a `LeadTable`, the data of the leads
a run keeps, each column one string and its offsets: a 100k-row bulk run keeps 80k leads' data
in ~10 MB instead of a dict and its strings per lead (~45 MB).
"""

from __future__ import annotations

from array import array
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import polars as pl

from csv_enrich.api.wire import LEAD_COLUMNS, PERSON_RESULT_KEYS, Lead, LeadColumns
from csv_enrich.engine.join import LeadIndex

_SCHEMA: dict[str, pl.DataType] = {
    **{c: pl.String() for c in LEAD_COLUMNS[:-1]}, "named": pl.Boolean()}
_LAST_NAMED = tuple(k for k in PERSON_RESULT_KEYS if k != "full_name")


class LeadFrame:
    """The leads of a list, in list order (`frame`: LEAD_COLUMNS, null where unset)."""

    def __init__(self, frame: pl.DataFrame) -> None:
        self.frame = frame

    @staticmethod
    def part(page: LeadColumns) -> pl.DataFrame:
        """A page's leads as a frame (`of_parts` joins them)."""
        return pl.DataFrame(dict(page.columns), schema=_SCHEMA)

    @classmethod
    def of_parts(cls, parts: Sequence[pl.DataFrame]) -> LeadFrame:
        """The leads of pages read one after the other (`part` of each)."""
        if not parts:
            return cls(pl.DataFrame(schema=_SCHEMA))
        return cls(pl.concat(parts, rechunk=False))  # (a copy of every value, else)

    @classmethod
    def of_pages(cls, pages: Sequence[LeadColumns]) -> LeadFrame:
        """The leads of pages read one after the other."""
        return cls.of_parts([cls.part(p) for p in pages])

    @classmethod
    def of_leads(cls, leads: Sequence[Lead]) -> LeadFrame:
        """The frame of `Lead`s (tests; what the pages they were read from give)."""
        rows: dict[str, list[Any]] = {c: [] for c in LEAD_COLUMNS}
        for lead in leads:
            keys = list(lead.data)
            named = "full_name" in keys and keys[-1] == "full_name" and any(
                k in lead.data for k in PERSON_RESULT_KEYS[PERSON_RESULT_KEYS.index("full_name")
                                                           + 1:])
            for column, value in (("lead_id", lead.lead_id), ("first_name", lead.first_name),
                                  ("last_name", lead.last_name), ("domain", lead.domain),
                                  ("named", named)):
                rows[column].append(value)
            for key in PERSON_RESULT_KEYS:
                rows[key].append(lead.data.get(key))
        return cls(pl.DataFrame(rows, schema=_SCHEMA))

    def __len__(self) -> int:
        return self.frame.height

    def leads(self) -> list[Lead]:
        """A `Lead` per lead, in list order (what parse_leads_page gives)."""
        table = LeadTable(self.frame)
        return [Lead(lead_id, dict(LeadData(table, n)), first, last, domain)
                for n, (lead_id, first, last, domain) in enumerate(self.frame.select(
                    "lead_id", "first_name", "last_name", "domain").iter_rows())]

    def index(self) -> LeadIndex:
        """The leads indexed by the old per-lead join (`join.LeadIndex`)."""
        return LeadIndex(self.leads())


class LeadTable:
    """The data of some leads (`frame`'s rows, in its order), each column one string."""

    __slots__ = ("_columns", "_named")

    def __init__(self, frame: pl.DataFrame) -> None:
        self._columns: dict[str, tuple[str, array[int]]] = {}
        for key in PERSON_RESULT_KEYS:
            values = frame.get_column(key).fill_null("")
            ends = values.str.len_chars().cast(pl.UInt64).cum_sum()
            text = values.str.join("").item() if values.len() else ""
            wide = "I" if len(text) < 2**32 else "Q"  # offsets of 4 bytes while they fit
            self._columns[key] = (text, array(wide, [0, *ends.to_list()]))
        self._named = bytes(frame.get_column("named").fill_null(False).cast(pl.UInt8).to_list())

    def value(self, key: str, row: int) -> str | None:
        """The lead's `key`, or None."""
        column = self._columns.get(key)
        if column is None:
            return None
        text, ends = column
        start, end = ends[row], ends[row + 1]
        return text[start:end] if end > start else None

    def keys(self, row: int) -> Iterator[str]:
        """The lead's keys in the order of its data (a full name made of the names last)."""
        named = self._named[row]
        for key in _LAST_NAMED if named else PERSON_RESULT_KEYS:
            if self.value(key, row) is not None:
                yield key
        if named:
            yield "full_name"


class LeadData(Mapping[str, str]):
    """One lead's data (read-only, equal to the dict of `Lead.data`), from a LeadTable."""

    __slots__ = ("_row", "_table")

    def __init__(self, table: LeadTable, row: int) -> None:
        self._table, self._row = table, row

    def __getitem__(self, key: str) -> str:
        value = self._table.value(key, self._row)
        if value is None:
            raise KeyError(key)
        return value

    def get(self, key: str, default: Any = None) -> Any:
        """The value of `key`, else `default`."""
        value = self._table.value(key, self._row)
        return default if value is None else value

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and self._table.value(key, self._row) is not None

    def __iter__(self) -> Iterator[str]:
        return self._table.keys(self._row)

    def __len__(self) -> int:
        return sum(1 for _ in self._table.keys(self._row))

    def __repr__(self) -> str:
        return repr(dict(self))

    def __copy__(self) -> LeadData:
        return self  # read-only

    def __deepcopy__(self, memo: dict[int, Any]) -> LeadData:
        return self  # read-only: dataclasses.asdict copies an Outcome's data this way

    def __reduce__(self) -> tuple[type[dict[str, str]], tuple[dict[str, str]]]:
        return dict, (dict(self),)
