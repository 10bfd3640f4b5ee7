"""Links the XLSX writers make on purpose, within Excel's limits, and the status colours.

Found emails become ``mailto:`` links and LinkedIn URLs links to themselves; nothing else is a
link. Excel allows LINK_LIMIT links per sheet: past it, values are written as plain text.
"""

from __future__ import annotations

import re

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
