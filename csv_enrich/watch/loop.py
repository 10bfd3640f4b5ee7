"""The watcher's loop: look at inbox, hand settled files to the worker one at a time, wait for
the next change (watchfiles, or polling for network and synced folders), stop on the event."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from csv_enrich.errors import Interrupted, UsageError
from csv_enrich.watch.claim import Claims
from csv_enrich.watch.filters import DropFilter, InboxFilter
from csv_enrich.watch.job import Job, Worker
from csv_enrich.watch.layout import Folder, write_note
from csv_enrich.watch.log import Echo, EventLog
from csv_enrich.watch.settings import TEMPLATE
from csv_enrich.watch.settle import Settler

POLL_DELAY_MS = 1000


@dataclass(frozen=True)
class WatchOptions:
    """How to watch: the folder, what every file's run starts from (the connection, the
    concurrency, the engine's tuning) and the loop's own settings."""

    folder: Path
    job: Job = field(default_factory=Job)
    settle: float = 2.0
    once: bool = False
    poll: bool = False


def watch_folder(options: WatchOptions, *, stop: threading.Event | None = None,
                 echo: Echo | None = None) -> None:
    """Create the folder's layout, resume what a stopped watcher left, then enrich every file
    dropped into inbox until `stop` is set (with `once`: until inbox holds nothing ready).
    Ctrl-C raises Interrupted; a set `stop` returns quietly."""
    folder = Folder(options.folder)
    folder.create()
    if not folder.settings.exists():
        write_note(folder.settings, TEMPLATE)
    log = EventLog(folder.log, echo)
    stop = stop or threading.Event()
    claims = Claims(folder.processing)
    try:
        loop = Loop(folder, Worker(folder, options.job, claims, log, stop), options.settle,
                    stop)
        log("started", f"watching {folder.inbox}" + (" (once)" if options.once else ""))
        loop.resume(claims)
        if options.once:
            loop.once()
            loop.check_settings()
        else:
            loop.forever(poll=options.poll)
    except Interrupted:
        if not stop.is_set():
            raise
    finally:
        claims.close()
        log("stopped", f"{folder.inbox}")


class Loop:
    """Settles, picks and waits; the worker does each file."""

    def __init__(self, folder: Folder, worker: Worker, settle: float,
                 stop: threading.Event) -> None:
        self.folder = folder
        self.worker = worker
        self.settler = Settler(settle)
        self.stop = stop
        self._drop = DropFilter()

    def resume(self, claims: Claims) -> None:
        """Files a stopped watcher was enriching go back to inbox first (their runs resume)."""
        for owner in claims.elsewhere():
            self.worker.log("note", f"processing/{owner.name} belongs to a watcher on another "
                                    "machine; if that watcher is gone for good, move its files "
                                    "back into inbox")
        for path in claims.orphans():
            self.worker.give_back(path, path.name, "its watcher stopped while enriching it; "
                                                   "it resumes without paying twice",
                                  event="resuming")

    def tick(self) -> None:
        """Look at inbox once and see every settled file through, one at a time."""
        for path in self.settler.observe(self._candidates()):
            if self.stop.is_set() or self._paused():
                return
            self.worker.offer(path)

    def once(self) -> None:
        """Until nothing in inbox is still settling (files waiting for approval stay)."""
        while not self.stop.is_set():
            self.tick()
            if self._paused() or not self.settler.pending():
                return
            self.stop.wait(min(0.2, self.settler.settle))

    def check_settings(self) -> None:
        """Raise UsageError (exit 2, for cron) when files wait in inbox because the settings
        cannot be used."""
        problem = self.worker.settings_problem
        waiting = len(self._candidates())
        if problem is not None and waiting:
            files = "1 file waits" if waiting == 1 else f"{waiting:,} files wait"
            raise UsageError(f"{problem}. {files} in {self.folder.inbox}: fix "
                             f"{self.folder.settings} and run again.")

    def forever(self, *, poll: bool) -> None:
        """Tick now, then on every change in inbox (or the settings) and at short intervals."""
        import watchfiles

        self.tick()
        timeout_ms = max(100, min(1000, int(self.settler.settle * 500)))
        for _ in watchfiles.watch(
            self.folder.inbox, self.folder.root, recursive=False, stop_event=self.stop,
            watch_filter=InboxFilter(self.folder.inbox, self.folder.settings),
            rust_timeout=timeout_ms, yield_on_timeout=True, force_polling=poll,
            poll_delay_ms=POLL_DELAY_MS, debounce=timeout_ms,
        ):
            self.tick()

    def _candidates(self) -> list[Path]:
        try:
            return [p for p in self.folder.inbox.iterdir() if self._drop(p.name)]
        except OSError:
            return []

    def _paused(self) -> bool:
        return time.monotonic() < self.worker.paused_until
