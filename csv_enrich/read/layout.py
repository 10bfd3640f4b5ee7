"""What surrounds the data in a sheet: rows that are not data, and group headers above the header.

* Rows that are not data: empty records (blank lines, ",,,") anywhere under the header, and a
  report footer at the end (Salesforce's "Grand Totals (3 records)", "Confidential Information",
  "Copyright ..."), blank rows between footer lines included. They stay in the output where they
  were but are not leads: never sent, not counted as invalid.
* Group headers: a row right above the header whose labels ("Contact", "Company") each head the
  columns from it to the next label (a merged cell spans them; its text sits in its first
  column). They give "Name" its meaning (mapping.columns).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

EMPTY = "an empty row"
FOOTER = "a report footer"
_FOOTER = re.compile(
    r"^(?:grand totals?\b|sub-?totals?\b|totals?\s*[(:]|confidential\b|copyright\b|\(c\)|©|"
    r"all rights reserved\b|generated (?:by|on|at)\b|report generated\b|filtered by\b|"
    r"record count\b)",
    re.I,
)
FOOTER_LOOKBACK = 12


def non_data_rows(rows: Sequence[tuple[str | None, ...]]) -> dict[int, str]:
    """Index -> EMPTY or FOOTER for the rows (cells as text, empty ones None) that are not data:
    every empty row, and the footer lines at the end (at most two cells each, the first a
    totals, confidentiality or copyright line) with the empty rows among them."""
    found = {i: EMPTY for i, row in enumerate(rows) if not _cells(row)}
    start = len(rows)
    for i in range(len(rows) - 1, max(-1, len(rows) - 1 - FOOTER_LOOKBACK), -1):
        cells = _cells(rows[i])
        if cells and not (len(cells) <= 2 and _FOOTER.match(cells[0])):
            break
        start = i
    footers = [i for i in range(start, len(rows)) if _cells(rows[i])]
    found.update(dict.fromkeys(footers, FOOTER))
    return found


def _cells(row: tuple[str | None, ...]) -> list[str]:
    return [c.strip() for c in row if c is not None and c.strip()]


def non_data_note(found: Mapping[int, str]) -> tuple[str, ...]:
    """"3 empty or footer rows kept ..." when there are any."""
    if not found:
        return ()
    kinds = set(found.values())
    what = "empty" if kinds == {EMPTY} else "footer" if kinds == {FOOTER} else "empty or footer"
    count = "1 " + what + " row" if len(found) == 1 else f"{len(found):,} {what} rows"
    return (f"{count} kept in the output where they were; they are not leads, not sent and not "
            "counted as rows",)  # fmt: skip


GROUP_WORDS = {
    "company": "company", "account": "company", "organisation": "company",
    "organization": "company", "org": "company", "business": "company", "firm": "company",
    "employer": "company", "contact": "person", "person": "person", "lead": "person",
    "prospect": "person", "people": "person", "individual": "person",
}  # fmt: skip


def group_labels(
    above: Sequence[str | None], width: int, spans: Sequence[tuple[int, int]] = ()
) -> tuple[str | None, ...]:
    """Per column, the group label heading it in the row above the header. With the row's
    merged ranges known (`spans`: first and last column of each), a label heads exactly the
    columns its merge spans; without, each label holds from its column to the next label.
    () when the row holds fewer than two labels (one is a title, not a group)."""
    if sum(1 for c in above if c and c.strip()) < 2:
        return ()
    cells = [" ".join(c.split()) if c and c.strip() else None for c in above]
    cells += [None] * (width - len(cells))
    if spans:
        labels = list(cells[:width])
        for first, last in spans:
            for i in range(max(first, 0), min(last + 1, width)):
                labels[i] = cells[first] if 0 <= first < width else None
        return tuple(labels)
    out: list[str | None] = []
    current: str | None = None
    for cell in cells[:width]:
        current = cell or current
        out.append(current)
    return tuple(out)


def group_kind(label: str | None) -> str | None:
    """ "company" or "person" for a group label that says so ("Company", "Contact info")."""
    if not label:
        return None
    words = re.findall(r"[a-z]+", label.casefold())
    kinds = {GROUP_WORDS[w] for w in words if w in GROUP_WORDS}
    return kinds.pop() if len(kinds) == 1 else None
