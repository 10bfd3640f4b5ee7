"""The watcher's log: one line per event, to FOLDER/csv-enrich.log and to whoever listens (the
CLI prints them). Opened without following a symbolic link, so the log stays inside FOLDER."""

from __future__ import annotations

import os
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

Echo = Callable[[str], None]


class EventLog:
    """`log("done", "leads.csv ...")` appends `2026-12-07 19:45:01  done       leads.csv ...`."""

    def __init__(self, path: Path, echo: Echo | None = None) -> None:
        self.path = path
        self._echo = echo

    def __call__(self, event: str, text: str) -> None:
        line = f"{datetime.now():%Y-%m-%d %H:%M:%S}  {event:<10} {text}"
        if self._echo is not None:
            self._echo(line)
        flags = os.O_WRONLY | os.O_APPEND | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0)
        try:
            fd = os.open(self.path, flags, 0o644)
        except OSError:
            return  # the log file is a link or unwritable: the line went to the listener only
        with os.fdopen(fd, "a", encoding="utf-8") as fh:
            fh.write(line + "\n")
