"""One identifier from the cells of a row: several columns, several values in one cell.

A field may come from several columns in an order of preference (E-mail 1, E-mail 2, ...), and
one cell may hold several values ("a@x.com; b@y.com", Google's "a@x.com ::: b@y.com"). `pick`
takes the first valid value, column by column and within a cell left to right; with none valid,
the first non-empty text (so the row's reason names what is wrong with it). Pure functions of
text, one row at a time, meant to be easy to vectorise.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from csv_enrich.rules.normalise import (
    clean,
    company_domain,
    normalise_email,
    normalise_id,
    normalise_linkedin,
    normalise_phone,
)

# What separates several values in one cell: for emails and LinkedIn URLs (which hold no
# spaces, commas or semicolons) any of those; for phones, which hold spaces, only ; | ::: and
# line breaks.
_WIDE = re.compile(r"\s*:::\s*|[\s,;|]+")
_NARROW = re.compile(r"\s*(?::::|[;|\n\r])\s*")
CHECKS: dict[str, Callable[[str | None], str | None]] = {
    "email": normalise_email, "linkedin_url": normalise_linkedin, "domain": company_domain,
    "website": company_domain, "phone": normalise_phone, "person_id": normalise_id,
}  # fmt: skip
_MARK = {"email": "@", "linkedin_url": "linkedin.", "phone": ""}


def split_values(field: str, text: str) -> list[str]:
    """The values in one cell: the cell as it is when it is valid whole (or the field is not
    an email, LinkedIn URL or phone); else its parts, split at the separators."""
    if field not in _MARK or CHECKS[field](text) is not None:
        return [text]
    parts = [p for p in (_NARROW if field == "phone" else _WIDE).split(text) if p.strip()]
    return parts if len(parts) > 1 else [text]


@dataclass(frozen=True)
class Picked:
    """The text a row uses for one field, the column it came from, and whether the cell held
    several values (which deserves a note)."""

    text: str
    header: str
    several: bool = False


def pick(field: str, cells: Sequence[tuple[str, str | None]]) -> Picked | None:
    """The first valid value of `field` among (header, cell) pairs in order of preference; the
    first non-empty text when none is valid; None when every cell is empty."""
    check = CHECKS.get(field)
    fallback: Picked | None = None
    for header, cell in cells:
        if cell is None or clean(cell) is None:
            continue
        values = split_values(field, cell)
        for value in values:
            if check is None or check(value) is not None:
                return Picked(value, header, len(values) > 1)
        fallback = fallback or Picked(cell, header)
    return fallback


def first_valid(field: str, cell: str) -> str | None:
    """The first valid value of `field` in one cell, or None."""
    found = pick(field, [("", cell)])
    check = CHECKS.get(field)
    return found.text if found and (check is None or check(found.text)) else None


def several_note(field: str, picked: Picked) -> str:
    """The row note for a cell holding several values."""
    return (
        f"'{picked.header}' holds several values; the first valid {field} ({picked.text}) "
        "is used"
    )
