"""Links the XLSX writers make on purpose, within Excel's limits, and the status colours.

Found emails become ``mailto:`` links and LinkedIn URLs links to themselves; nothing else is a
link. Excel allows LINK_LIMIT links per sheet: past it, values are written as plain text.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import KeysView
from typing import Any

LINK_LIMIT = 65_530  # Excel's hyperlinks per worksheet
URL_LIMIT = 2_079  # Excel's characters per hyperlink
STATUS_COLOURS = {
    "enriched": ("#C6EFCE", "#006100"),
    "not_found": ("#FFEB9C", "#9C5700"),
    "invalid": ("#FCE4D6", "#833C0B"),
    "failed": ("#FFC7CE", "#9C0006"),
    "skipped": ("#EDEDED", "#595959"),
}
EMAIL = re.compile(r"[^@\s\"<>,;:()\[\]\\]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}")
LINKEDIN = re.compile(r"https://([a-z]{2,3}\.|www\.)?linkedin\.com/[^\s\"<>]+", re.IGNORECASE)


def link_target(role: str, value: str) -> str | None:
    """The link a new cell gets: mailto: for a found email, the LinkedIn URL itself; None for
    anything else or a link longer than Excel takes."""
    url = None
    if role == "enriched_email" and EMAIL.fullmatch(value):
        url = f"mailto:{value}"
    elif role == "enriched_linkedin_url" and LINKEDIN.fullmatch(value):
        url = value
    return url if url is not None and len(url) <= URL_LIMIT else None


class LinkBudget:
    """Counts links so a sheet stays within Excel's limit, then writes plain text."""

    def __init__(self) -> None:
        self.used = 0
        self.refused = 0

    def take(self) -> bool:
        if self.used < LINK_LIMIT:
            self.used += 1
            return True
        self.refused += 1
        return False

    def notes(self) -> list[str]:
        if not self.refused:
            return []
        return [
            f"Excel allows {LINK_LIMIT:,} links per sheet: {self.refused:,} more emails and "
            "LinkedIn URLs are written as plain text."
        ]


class CompactLinks:
    """Stands in for an xlsxwriter worksheet's `hyperlinks` (row -> column -> Url, kept until
    the sheet is closed): each link is held as the URL and text it was written with, and its Url
    made again when the sheet's <hyperlinks> are written. xlsxwriter's own Url objects and
    per-row dicts took ~40 MiB for a 100k-row output's 65,530 links; these take ~8 MiB. The
    sheet's XML is the same (Url(url) with its text set is what Worksheet.write_url keeps)."""

    def __init__(self) -> None:
        # row -> [column, url, text, column, url, text, ...] (or a Url itself, see `_held`)
        self._rows: dict[int, list[Any]] = {}

    def keys(self) -> KeysView[int]:
        return self._rows.keys()

    def __len__(self) -> int:
        return len(self._rows)

    def __getitem__(self, row: int) -> _RowLinks:
        return _RowLinks(self._rows, row)


class _RowLinks:
    """One row's links, as xlsxwriter reads and writes them (`hyperlinks[row][col]`)."""

    __slots__ = ("_row", "_rows")

    def __init__(self, rows: dict[int, list[Any]], row: int) -> None:
        self._rows, self._row = rows, row

    def keys(self) -> list[int]:
        return self._rows.get(self._row, [])[::3]

    def __setitem__(self, col: int, url: Any) -> None:
        held = self._rows.setdefault(self._row, [])
        at = next((i for i in range(0, len(held), 3) if held[i] == col), len(held))
        held[at:at + 3] = [col, *_held(url)]

    def __getitem__(self, col: int) -> Any:
        held = self._rows[self._row]
        i = next(i for i in range(0, len(held), 3) if held[i] == col)
        url, text = held[i + 1], held[i + 2]
        if text is None:  # kept whole (see `_held`)
            return url
        from xlsxwriter.url import Url

        made = Url(url)
        made._text = text
        return made


def _held(url: Any) -> tuple[Any, str | None]:
    """(the URL written, its text) of a Url as Worksheet.write_url made it (Url(url), its text
    set); (the Url, None) for one with more to it (a tip), kept as it is."""
    if url._tip or url._is_object_link or url._rel_index or not isinstance(url._text, str):
        return url, None
    return url._original_url, url._text


def keep_links_compact(sheet: Any) -> None:
    """Have xlsxwriter's `sheet` hold its links as `CompactLinks` (if it holds none yet in the
    form this was written for)."""
    if isinstance(sheet.hyperlinks, defaultdict) and not sheet.hyperlinks:
        sheet.hyperlinks = CompactLinks()
