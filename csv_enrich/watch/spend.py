"""What the folder spent per day, so that the daily cap holds across files and restarts.

Before a file runs, its estimate (the most it can cost) is reserved against today's cap; when it
is done, the reservation becomes what the run was charged. A run killed half-way keeps its
reservation until the same run is resumed, which takes the reservation over: the book never
counts less than was spent. A file dropped again (a replay of a finished run) costs nothing
and is booked as nothing.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from csv_enrich.watch.layout import write_note

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]

KEEP_DAYS = 120


def today() -> str:
    return date.today().isoformat()


class SpendBook:
    """FOLDER/csv-enrich.spend.json: one entry per run attempt: day, run, reserved, charged."""

    def __init__(self, path: Path, lock: Path) -> None:
        self.path = path
        self._lock = lock

    def spent_today(self, run_id: str = "") -> int:
        """Credits charged today, plus what runs still going (or killed) may charge, leaving
        out the reservation of `run_id` (a run about to resume takes it over)."""
        with self._held():
            return _spent(_others(self._load(), run_id), today())

    def reserve(self, run_id: str, estimate: int, cap: int | None) -> tuple[bool, int]:
        """Book `estimate` for `run_id` today unless that passes `cap` (then book nothing);
        return whether it was booked and what today held before."""
        with self._held():
            entries = _others(self._load(), run_id)
            spent = _spent(entries, today())
            if cap is not None and spent + estimate > cap:
                return False, spent
            entries.append({"day": today(), "run": run_id, "reserved": estimate,
                            "charged": None})
            self._save(entries)
            return True, spent

    def settle(self, run_id: str, run_charged: int) -> int:
        """The run is done and charged `run_charged` in all (resumes included): book what this
        attempt added to what earlier attempts were booked for, and return it."""
        with self._held():
            entries = self._load()
            earlier = sum(e["charged"] or 0 for e in entries if e["run"] == run_id)
            now = max(0, run_charged - earlier)
            for entry in entries:
                if entry["run"] == run_id and entry["charged"] is None:
                    entry["charged"], now = now, 0
            self._save(entries)
            return max(0, run_charged - earlier)

    def release(self, run_id: str) -> None:
        """Drop the reservation of a run that stopped before spending anything."""
        with self._held():
            self._save(_others(self._load(), run_id))

    def _load(self) -> list[dict[str, Any]]:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return []
        entries = data.get("runs", []) if isinstance(data, dict) else []
        return [e for e in entries if isinstance(e, dict) and {"day", "run", "reserved",
                                                                "charged"} <= set(e)]

    def _save(self, entries: list[dict[str, Any]]) -> None:
        oldest = (date.today() - timedelta(days=KEEP_DAYS)).isoformat()
        kept = [e for e in entries if e["day"] >= oldest]
        write_note(self.path, json.dumps({"runs": kept}, indent=1) + "\n")

    @contextlib.contextmanager
    def _held(self) -> Iterator[None]:
        with self._lock.open("a", encoding="utf-8") as handle:
            if fcntl is not None:
                fcntl.flock(handle, fcntl.LOCK_EX)
            yield


def _spent(entries: list[dict[str, Any]], day: str) -> int:
    return sum(int(e["reserved"] if e["charged"] is None else e["charged"])
               for e in entries if e["day"] == day)


def _others(entries: list[dict[str, Any]], run_id: str) -> list[dict[str, Any]]:
    """The entries without the open reservation of `run_id`."""
    return [e for e in entries if not (e["run"] == run_id and e["charged"] is None)]
