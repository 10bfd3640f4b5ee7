"""A bulk run's list read back and joined onto its identities a slice of pages at a time.

`read_back` reads the list's pages and keeps, of each slice of `PAGES` leads, only what the join
and the outcomes need: the leads' match keys (`join_columns.lead_keys_from`), what each found
(`found_column`) and the data of those that found something; the list is never held whole as a
frame. The join (`join_columns.key_pairs`, `choose`) then chooses exactly what `join_frame`
chooses (tests/test_readback.py). A list with a lead id twice (the API never gives one; told by
a hash of the ids, so a collision only costs a second read) is left to the caller, which reads
it again whole for `join_in_order` (`joined_outcomes`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import polars as pl

from csv_enrich import errors
from csv_enrich.api.wire import PERSON_RESULT_KEYS, LeadColumns
from csv_enrich.engine.context import RunContext, found_prices
from csv_enrich.engine.join_columns import (
    CHUNK,
    choose,
    identity_keys,
    identity_sides,
    lead_keys_from,
    side_pairs,
)
from csv_enrich.engine.leads import LeadData, LeadFrame, LeadTable
from csv_enrich.models import EnrichmentType, Outcome

NOT_BACK = "no lead came back for this row"
PAGES = 5_000  # leads worked out at once as the pages come (their keys, what they found)


@dataclass(frozen=True)
class Joined:
    """The join of a list's leads onto the identities: each identity's lead row (`chosen`,
    null: none), what each lead found (`credits`), the data of those that found something
    (`table`, in list order) and their lead rows (`rows`, ascending)."""

    chosen: pl.Series
    credits: pl.Series
    table: LeadTable
    rows: pl.Series

    def outcomes(self, keys: Sequence[str], note: str | None,
                 workflow_id: str | None) -> list[Outcome]:
        """`joined_outcomes` of these leads."""
        per = _per(self.chosen, self.credits)
        wanted = per.filter(pl.col("found") > 0).get_column("lead").unique().sort()
        at = self.rows.search_sorted(wanted)
        views: list[LeadData | None] = [None] * self.credits.len()
        for lead, n in zip(wanted.to_list(), at.to_list(), strict=True):
            views[lead] = LeadData(self.table, n)
        return _outcomes(keys, per, views, note, workflow_id)


class ReadBack:
    """The leads of a list as `read_back` keeps them, fed a page at a time (`add`)."""

    def __init__(self, idents: pl.DataFrame, etype: EnrichmentType, chunk: int = CHUNK,
                 pages: int = PAGES) -> None:
        self.height = idents.height
        self._sides = identity_sides(pl.concat([identity_keys(idents.slice(at, chunk), at)
                                                for at in range(0, max(1, idents.height), chunk)]))
        self._etype, self._at_once = etype, pages
        self._pages: list[pl.DataFrame] = []
        self._waiting = 0
        self.count = 0  # leads read
        self._edges: list[pl.DataFrame] = []
        self._found: list[pl.Series] = []
        self._ids: list[pl.Series] = []
        self._data: list[pl.DataFrame] = []
        self._rows: list[pl.Series] = []

    def add(self, page: LeadColumns) -> None:
        """A page's leads (worked out with those before it each `pages` leads)."""
        self._pages.append(LeadFrame.part(page))
        self._waiting += page.count
        if self._waiting >= self._at_once:
            self._flush()

    def _flush(self) -> None:
        frame = pl.concat(self._pages) if self._pages else LeadFrame.of_parts([]).frame
        self._pages, self._waiting, at = [], 0, self.count
        self.count += frame.height
        self._edges.append(side_pairs(self._sides, lead_keys_from(frame, at)))
        found = found_column(self._etype, frame)
        self._found.append(found)
        self._ids.append(frame.get_column("lead_id").hash())
        kept = frame.with_row_index("row", offset=at).filter(found > 0)
        self._rows.append(kept.get_column("row"))
        self._data.append(kept.select(*PERSON_RESULT_KEYS, "named"))

    def finish(self) -> Joined | None:
        """The join of the leads read, or None when a lead id may be there twice."""
        if self._pages or not self._ids:
            self._flush()
        if pl.concat(self._ids).is_duplicated().any():
            return None
        del self._sides
        edges, self._edges = pl.concat(self._edges).sort("ident", "rank", "lead"), []
        chosen = choose(edges, self.height, self.count)
        del edges
        data, self._data = pl.concat(self._data), []
        return Joined(chosen, pl.concat(self._found), LeadTable(data), pl.concat(self._rows))


async def read_back(ctx: RunContext, list_id: str, idents: pl.DataFrame) -> Joined | None:
    """The leads of a list joined onto `idents` (the join's identity columns): read through the
    JSON export, else (no export:read scope) the leads pages, as `rows.read_list` reads them.
    None when a lead id may be there twice (read it again whole: `joined_outcomes`)."""
    try:
        return await _read(ctx, list_id, ReadBack(idents, ctx.etype), export=True)
    except (errors.AuthError, errors.RequestRejectedError, errors.NotFoundError):
        return await _read(ctx, list_id, ReadBack(idents, ctx.etype), export=False)


async def _read(ctx: RunContext, list_id: str, sink: ReadBack, *, export: bool) -> Joined | None:
    cursor = None
    while True:
        page = await ctx.client.lead_columns(list_id, export=export, cursor=cursor, limit=500)
        sink.add(page)
        cursor = page.cursor
        if not cursor or not page.count:
            return sink.finish()


# -- the outcomes ------------------------------------------------------------------------------

def found_column(etype: EnrichmentType, leads: pl.DataFrame) -> pl.Series:
    """context.found_credits of every lead (a lead's empty values are null), on the column."""
    email, phone = found_prices(etype)
    return leads.select(
        pl.col("email").is_not_null().cast(pl.Int64) * email
        + pl.col("phone").is_not_null().cast(pl.Int64) * phone
    ).to_series().rename("found")


def joined_outcomes(keys: Sequence[str], chosen: pl.Series, leads: LeadFrame,
                    credits: pl.Series, note: str | None, workflow_id: str | None,
                    ) -> list[Outcome]:
    """Each identity's Outcome from the lead chosen for it (`chosen`: its row, null for none):
    enriched when the lead found something it is charged for (the lead's data, shared, not
    copied), else not_found; a lead two identities got is charged to the first (the other is
    the same person). `note`: every row's (else "" or NOT_BACK)."""
    per = _per(chosen, credits)
    rows = per.filter(pl.col("found") > 0).get_column("lead").unique().sort()
    table = LeadTable(leads.frame.select(*PERSON_RESULT_KEYS, "named").gather(rows))
    views: list[LeadData | None] = [None] * len(leads)
    for n, row in enumerate(rows.to_list()):
        views[row] = LeadData(table, n)
    return _outcomes(keys, per, views, note, workflow_id)


def _per(chosen: pl.Series, credits: pl.Series) -> pl.DataFrame:
    """Per identity: its lead, what the lead found, the first identity that got the lead."""
    return pl.DataFrame({"lead": chosen}).with_row_index("ident").with_columns(
        credits.gather(chosen).fill_null(0).alias("found"),
        pl.col("ident").min().over("lead").alias("first"))


def _outcomes(keys: Sequence[str], per: pl.DataFrame, views: Sequence[LeadData | None],
              note: str | None, workflow_id: str | None) -> list[Outcome]:
    outcomes = []
    for key, lead, found, first in zip(keys, *per.select("lead", "found", "first"), strict=True):
        same = key if lead is None else keys[first]
        view = views[lead] if found else None
        outcomes.append(Outcome(
            key, "enriched" if found else "not_found",
            note=note if note is not None else ("" if lead is not None else NOT_BACK),
            data={} if view is None else view, workflow_id=workflow_id,
            credits=found if same == key else 0, same_as=None if same == key else same))
    return outcomes
