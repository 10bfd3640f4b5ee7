"""Approval: a file that can cost more than the per-file cap waits in inbox with a note saying
what it would cost and how to let it run; the daily cap makes a file wait for the next day.

Approving is creating `<name>.approved` next to the file. It approves the estimate written in
the note (a bigger file dropped under the same name asks again), or, without a note, the file
as it is. The daily cap still holds for approved files.
"""

from __future__ import annotations

import contextlib
import re
from pathlib import Path

from csv_enrich.runner import Estimate
from csv_enrich.watch.filters import APPROVED, NEEDS_APPROVAL, WAITING
from csv_enrich.watch.layout import write_note
from csv_enrich.watch.settings import Settings

_ESTIMATE = re.compile(r"^Estimate: up to ([\d,]+) credits", re.MULTILINE)


def notes(inbox: Path, name: str) -> tuple[Path, Path, Path]:
    """The approval note, the approval itself and the daily-cap note of a dropped file."""
    return (inbox / f"{name}{NEEDS_APPROVAL}", inbox / f"{name}{APPROVED}",
            inbox / f"{name}{WAITING}")


def file_cap(settings: Settings, inbox: Path, name: str) -> int | None:
    """The most this file may cost: the per-file cap, or what was approved (None: no cap)."""
    note, approved, _ = notes(inbox, name)
    cap = settings.max_credits_per_file
    if not approved.exists():
        return cap
    up_to = _noted_estimate(note)
    return None if up_to is None or cap is None else max(up_to, cap)


def _noted_estimate(note: Path) -> int | None:
    """The estimate an approval note stated (None when there is no note)."""
    try:
        found = _ESTIMATE.search(note.read_text(encoding="utf-8"))
    except OSError:
        return None
    return int(found.group(1).replace(",", "")) if found else None


def ask_approval(inbox: Path, name: str, est: Estimate, cap: int) -> None:
    """Write `<name>.needs-approval.txt` with the rows, the estimate and how to approve. An
    approval already there was given for a smaller estimate (another copy of the file): it is
    withdrawn, so the new estimate is approved afresh."""
    plan = est.plan
    with contextlib.suppress(OSError):
        notes(inbox, name)[1].unlink()
    write_note(notes(inbox, name)[0], (
        f"{name} is waiting for approval: it can cost more than this folder allows per file.\n\n"
        f"Rows: {len(plan.row_keys):,} ({len(plan.identities):,} to enrich; "
        f"{len(plan.row_keys) - len(plan.identities):,} invalid, duplicate or already enriched "
        f"rows are free)\n"
        f"Estimate: up to {plan.estimated_max:,} credits ({plan.enrichment_type}); the cap per "
        f"file is {cap:,} (max_credits_per_file in csv-enrich.toml).\n\n"
        f"To run it, either:\n"
        f"  - create an empty file named \"{name}{APPROVED}\" here in inbox, or\n"
        f"  - raise max_credits_per_file in csv-enrich.toml to {plan.estimated_max:,} or more.\n"
        f"To cancel, delete {name} from inbox. Approving it does not lift the daily cap.\n"
    ))


def wait_for_tomorrow(inbox: Path, name: str, est: Estimate, spent: int, day_cap: int) -> None:
    """Write `<name>.waiting.txt`: the file would pass today's cap."""
    need = est.plan.estimated_max
    write_note(notes(inbox, name)[2], (
        f"{name} waits: it can cost up to {need:,} credits and this folder has spent (or "
        f"reserved) {spent:,} of its {day_cap:,} credits today (max_credits_per_day in "
        f"csv-enrich.toml).\n\n"
        f"{_when(need, spent, day_cap)} To cancel, delete {name} from inbox.\n"
    ))


def _when(need: int, spent: int, day_cap: int) -> str:
    """When a file waiting for the daily cap runs (never by itself when it alone passes it)."""
    if need > day_cap:
        later = f" today (or to {need:,} for tomorrow)" if spent else ""
        return (f"It cannot run on any day under this cap: it runs as soon as "
                f"max_credits_per_day is raised to {spent + need:,} or more{later}.")
    return (f"It runs by itself tomorrow, or as soon as max_credits_per_day is {spent + need:,} "
            f"or more.")


def clear_notes(inbox: Path, name: str, *, keep_approval: bool = False) -> None:
    """Remove the file's notes (and its approval, unless `keep_approval`)."""
    note, approved, waiting = notes(inbox, name)
    for path in (note, waiting) if keep_approval else (note, approved, waiting):
        with contextlib.suppress(OSError):
            path.unlink()
