"""Which names in inbox/ are files to enrich, as small filter classes (watchfiles' habit).

`DropFilter` answers for a name: is it a finished file somebody dropped? `InboxFilter` is the
watchfiles filter: which filesystem events are worth waking up for.
"""

from __future__ import annotations

import os
from pathlib import Path

from watchfiles import Change

PARTIAL_SUFFIXES = (".tmp", ".part", ".crdownload", ".download", ".partial")
SYSTEM_NAMES = ("thumbs.db", "desktop.ini", "icon\r")
APPROVED = ".approved"
NEEDS_APPROVAL = ".needs-approval.txt"
WAITING = ".waiting.txt"
CONTROL_SUFFIXES = (APPROVED, NEEDS_APPROVAL, WAITING)
READABLE_SUFFIXES = (".csv", ".tsv", ".txt", ".tab", ".xlsx", ".xlsm", ".xls", ".ods")


class DropFilter:
    """A dropped file: not hidden, not an Excel lock file (`~$…`), not a download or copy in
    progress, not a system file, not one of the folder's own notes."""

    def __call__(self, name: str) -> bool:
        lower = name.lower()
        if name.startswith((".", "~$")) or lower in SYSTEM_NAMES:
            return False
        return not lower.endswith(PARTIAL_SUFFIXES + CONTROL_SUFFIXES)


def unsupported(name: str) -> str | None:
    """Why a dropped file cannot be enriched (by its name), or None."""
    suffix = Path(name).suffix.lower()
    if suffix in READABLE_SUFFIXES:
        return None
    return (f"'{suffix or '(no extension)'}' files cannot be enriched; save the sheet as "
            f".xlsx or .csv and drop it into inbox again")


class InboxFilter:
    """The events that can make work: anything in inbox/ (a new file, a growing file, an
    `.approved` note) and a change of the settings file."""

    def __init__(self, inbox: Path, settings: Path) -> None:
        self._inbox = os.path.realpath(inbox)
        self._settings = (os.path.realpath(settings.parent), settings.name)

    def __call__(self, change: Change, path: str) -> bool:
        """Paths are compared resolved: the folder may be given relative, or through a link
        (and macOS reports /private/var for /var)."""
        folder, name = os.path.split(path)
        real = os.path.realpath(folder)
        if (real, name) == self._settings:
            return True
        return real == self._inbox and not name.startswith(".")
