"""One dropped file from inbox to outbox: estimate, approve, claim, enrich, archive (or fail).

A file that cannot be enriched goes to failed/ with `<name>.error.txt`. When the trouble is not
the file's (the API is down, the key is refused, the balance is short) the file goes back to
inbox and the watcher pauses before trying again, so one outage does not fail every file.
"""

from __future__ import annotations

import contextlib
import os
import threading
import time
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path

from csv_enrich.engine.context import Tuning
from csv_enrich.errors import (
    AuthError,
    CreditsError,
    CsvEnrichError,
    Interrupted,
    RateLimitedError,
    ServerError,
    TransportError,
    UsageError,
)
from csv_enrich.models import Connection, EnrichOptions, Progress
from csv_enrich.report import Report
from csv_enrich.runner import (
    Estimate,
    dropped_output,
    enrich_dropped,
    estimate_file,
    report_path,
)
from csv_enrich.watch.approve import ask_approval, clear_notes, file_cap, wait_for_tomorrow
from csv_enrich.watch.claim import Claims
from csv_enrich.watch.filters import unsupported
from csv_enrich.watch.layout import Folder, move_into, safe_name, write_note
from csv_enrich.watch.log import EventLog
from csv_enrich.watch.settings import Settings, SettingsError, read_settings
from csv_enrich.watch.spend import SpendBook, today

NOT_THE_FILES_FAULT = (AuthError, CreditsError, RateLimitedError, ServerError, TransportError)
PAUSE_S = 60.0
# Excel and others save through a temporary file (often without an extension) in the same
# folder and rename it a moment later: a file that is not a spreadsheet is refused only once it
# has been there this long.
UNSUPPORTED_GRACE_S = 15.0
KEY_HINT = (" The watcher's key comes from CLEANLIST_API_KEY or --api-key-file where it was "
            "started: fix it there and start the watcher again.")
MAP_HINT = ('In the drop folder, map columns in csv-enrich.toml instead of --map: a [map] '
            'table, e.g. "Work Email" = "email".')


@dataclass(frozen=True)
class Job:
    """What every file's run starts from: the connection and the engine's tuning (the kind,
    type and mapping come from the folder's settings)."""

    connection: Connection = field(default_factory=Connection)
    concurrency: int = EnrichOptions.concurrency
    tuning: Tuning | None = None


class Worker:
    """Takes settled files from inbox one at a time and sees each one through."""

    def __init__(self, folder: Folder, job: Job, claims: Claims, log: EventLog,
                 stop: threading.Event | None = None) -> None:
        self.folder = folder
        self.job = job
        self.claims = claims
        self.log = log
        self.stop = stop
        self.book = SpendBook(folder.spend, folder.processing / ".spend.lock")
        self.paused_until = 0.0
        self._waiting: dict[str, tuple[object, ...]] = {}
        self._broken: dict[str, tuple[int, int]] = {}
        self._busy: dict[str, tuple[object, ...]] = {}
        self._estimates: dict[str, tuple[tuple[object, ...], Estimate]] = {}
        self._settings_problem: str | None = None
        self._last_note = ""

    # -- deciding ------------------------------------------------------------------------------

    def offer(self, path: Path) -> None:
        """A settled file in inbox: refuse it, leave it waiting, or enrich it. Whatever goes
        wrong with one file is logged once (until the file changes) and the watcher goes on."""
        try:
            st = path.lstat()
        except OSError:
            return
        signature = (st.st_size, st.st_mtime_ns)
        if self._broken.get(path.name) == signature:
            return
        try:
            self._offer(path)
        except (Interrupted, KeyboardInterrupt):
            raise
        except Exception as exc:  # noqa: BLE001 - one file must not stop the folder
            self._broken[path.name] = signature
            claimed = self.claims.mine / path.name
            if os.path.lexists(claimed):  # claimed, then stuck: back where it was dropped
                with contextlib.suppress(OSError):
                    move_into(claimed, self.folder.inbox, path.name)
            self.log("error", f"{path.name}: {type(exc).__name__}: {exc}; it is left where it "
                              "is until it changes (please report this with csv-enrich.log)")

    def _offer(self, path: Path) -> None:
        name = path.name
        if path.is_symlink():
            self._reject(path, f"{name} is a symbolic link; csv-enrich enriches only files "
                               "dropped into inbox itself: copy the file there, not a link")
        elif path.is_file() and (reason := unsupported(name)):
            if _age(path) >= UNSUPPORTED_GRACE_S:  # not an editor's temp file about to vanish
                self._reject(path, reason)
        elif path.is_file() and (settings := self.settings()) is not None:
            self._consider(path, settings)

    @property
    def settings_problem(self) -> str | None:
        """What is wrong with the settings, as last read (None: they are valid)."""
        return self._settings_problem

    def settings(self) -> Settings | None:
        """The settings as they are now; None (and one log line) while they are invalid."""
        try:
            settings = read_settings(self.folder.settings)
        except SettingsError as exc:
            if str(exc) != self._settings_problem:
                self.log("settings", f"{exc}. Files wait in inbox until it is fixed.")
            self._settings_problem = str(exc)
            return None
        if self._settings_problem is not None:
            self.log("settings", "csv-enrich.toml is valid again; going on.")
            self._settings_problem = None
        return settings

    def _consider(self, path: Path, settings: Settings) -> None:
        name = path.name
        try:
            state = self._state(path, settings)
        except FileNotFoundError:
            return  # another watcher took it
        if self._waiting.get(name) == state:
            return
        self._waiting.pop(name, None)
        est = self._estimate(path, settings, state)
        if est is None or self._must_wait(path, est, settings):
            self._waiting[name] = state
            return
        try:
            claimed = self.claims.claim(path)
        except PermissionError:  # Windows: still open in Excel or another program
            if self._busy.get(name) != state:
                self.log("waiting", f"{name} is open in another program; it is taken once it "
                                    "is closed")
            self._busy[name] = state
            return
        self._busy.pop(name, None)
        self._estimates.clear()
        if claimed is None:
            self.log("skipped", f"{name}: another watcher took it first")
            return
        self._run(claimed, name, self._options(claimed, settings), est, settings)

    def _estimate(self, path: Path, settings: Settings,
                  state: tuple[object, ...]) -> Estimate | None:
        """Read and price the file (once per version of it); None when it was refused."""
        name = path.name
        if (known := self._estimates.get(name)) is not None and known[0] == state:
            return known[1]
        self.log("picked up", f"{name} ({state[0]:,} bytes)")
        try:
            est = estimate_file(self._options(path, settings))
        except (CsvEnrichError, OSError) as exc:
            if path.exists():
                self._reject(path, getattr(exc, "message", None) or str(exc))
            return None
        self.log("estimate", f"{name}: {_estimate_text(est)}")
        self._estimates = {name: (state, est)}  # only the latest: estimates hold whole files
        return est

    def _must_wait(self, path: Path, est: Estimate, settings: Settings) -> bool:
        """Write the note and say so when the file needs approval or passes today's cap."""
        inbox, name, need = self.folder.inbox, path.name, est.plan.estimated_max
        cap = file_cap(settings, inbox, name)
        if cap is not None and need > cap:
            ask_approval(inbox, name, est, cap)
            self.log("waiting", f"{name} needs approval: up to {need:,} credits, over the "
                                f"per-file cap of {cap:,}; see inbox/{name}.needs-approval.txt")
            return True
        day_cap = settings.max_credits_per_day
        spent = self.book.spent_today(est.plan.run_id)
        if day_cap is not None and spent + need > day_cap:
            wait_for_tomorrow(inbox, name, est, spent, day_cap)
            when = ("it runs tomorrow" if need <= day_cap else
                    f"it never fits the cap: raise max_credits_per_day to {need:,} or more")
            self.log("waiting", f"{name}: up to {need:,} credits would pass today's cap "
                                f"({spent:,} of {day_cap:,} spent); {when}")
            return True
        return False

    def _state(self, path: Path, settings: Settings) -> tuple[object, ...]:
        """What a waiting file's verdict depends on; when it changes, the file is looked at
        again (a new copy, other settings, an approval, a new day)."""
        st = path.stat()
        approved = path.with_name(path.name + ".approved").exists()
        return (st.st_size, st.st_mtime_ns, settings, approved, today())

    def _options(self, path: Path, settings: Settings) -> EnrichOptions:
        return EnrichOptions(input=path, kind=settings.kind,
                             enrichment_type=settings.enrichment_type,
                             mapping_overrides=dict(settings.mapping_overrides),
                             concurrency=self.job.concurrency, connection=self.job.connection)

    # -- running -------------------------------------------------------------------------------

    def _run(self, claimed: Path, name: str, options: EnrichOptions, est: Estimate,
             settings: Settings) -> None:
        need, rid = est.plan.estimated_max, est.plan.run_id
        day_cap = settings.max_credits_per_day
        booked, spent = self.book.reserve(rid, need, day_cap)
        if not booked:
            self.give_back(claimed, name, "today's cap was reached by another file meanwhile")
            return
        caps = [c for c in (file_cap(settings, self.folder.inbox, name),
                            None if day_cap is None else day_cap - spent) if c is not None]
        output = dropped_output(self.folder.outbox, safe_name(name))
        options = replace(options, input=claimed, output=output)
        try:
            done = enrich_dropped(options, max_credits=min(caps, default=None),
                                  progress=self._progress, tuning=self.job.tuning,
                                  stop=self.stop)
        except Interrupted:
            _remove(output, report_path(options))  # half a file is no result: keep outbox clean
            self.log("stopped", f"{name} was interrupted; it resumes when the watcher starts "
                                "again, and nothing paid for is paid again")
            raise
        except NOT_THE_FILES_FAULT as exc:
            self._pause(claimed, name, exc)
        except CsvEnrichError as exc:
            if isinstance(exc, UsageError):
                self.book.release(rid)
            self._fail(claimed, name, _plain(exc.message, claimed))
        except Exception as exc:  # noqa: BLE001 - one bad file must not stop the folder
            self._fail(claimed, name, f"unexpected error ({type(exc).__name__}: {exc}); please "
                                      "report it with csv-enrich.log")
        else:
            self._finish(claimed, name, done, rid)

    def _progress(self, progress: Progress) -> None:
        if progress.message and progress.message != self._last_note:
            self._last_note = progress.message
            self.log("note", progress.message)

    def _finish(self, claimed: Path, name: str, report: Report, rid: str) -> None:
        self.book.settle(rid, report.credits.charged)
        archived = move_into(claimed, self.folder.archive, name)
        clear_notes(self.folder.inbox, name)
        rows = report.rows
        failed = f", {rows.failed:,} failed (see enrichment_note)" if rows.failed else ""
        self.log("done", f"{name} -> outbox/{Path(report.output).name}: {rows.enriched:,} "
                         f"enriched, {rows.not_found:,} not found, {rows.invalid:,} invalid"
                         f"{failed}; {_credits_text(report)}; original in "
                         f"archive/{archived.name}")

    # -- giving up -----------------------------------------------------------------------------

    def _reject(self, path: Path, reason: str) -> None:
        """A file in inbox that cannot be enriched: claim it (so one watcher answers), fail it."""
        claimed = self.claims.claim(path)
        if claimed is not None:
            self._fail(claimed, path.name, _plain(reason, path))

    def _fail(self, claimed: Path, name: str, reason: str) -> None:
        reason = reason.removeprefix(f"{name}: ")  # the line names the file already
        target = move_into(claimed, self.folder.failed, name)
        clear_notes(self.folder.inbox, name)
        hint = f"\n\n{MAP_HINT}" if "--map" in reason else ""
        write_note(target.with_name(f"{target.name}.error.txt"), (
            f"{name} could not be enriched ({datetime.now():%Y-%m-%d %H:%M:%S}).\n\n"
            f"What went wrong, and how to fix it: {reason}{hint}\n\n"
            f"Credits already spent on this file are not spent again when it is dropped into "
            f"inbox again.\n"))
        self.log("failed", f"{name}: {reason} (see failed/{target.name}.error.txt)")

    def _pause(self, claimed: Path, name: str, exc: CsvEnrichError) -> None:
        self.paused_until = time.monotonic() + PAUSE_S
        fix = KEY_HINT if isinstance(exc, AuthError) else ""
        self.give_back(claimed, name, f"{_plain(exc.message, claimed)}{fix} Trying again in "
                                      f"{PAUSE_S:.0f} s.")

    def give_back(self, claimed: Path, name: str, why: str, event: str = "paused") -> None:
        """Put a claimed file back into inbox (under its own name when it is free)."""
        back = move_into(claimed, self.folder.inbox, name)
        self.log(event, f"{name} is back in inbox/{back.name}: {why}")


def _plain(message: str, path: Path) -> str:
    """A message without the watcher's own paths: the file is named by its name."""
    return message.replace(str(path), path.name)


def _estimate_text(est: Estimate) -> str:
    plan = est.plan
    return (f"{_n(len(plan.row_keys), 'row')}, {len(plan.identities):,} to enrich "
            f"({plan.enrichment_type}), up to {_n(plan.estimated_max, 'credit')}")


def _n(count: int, what: str) -> str:
    return f"{count:,} {what}" + ("" if count == 1 else "s")


def _credits_text(report: Report) -> str:
    """'20 credits charged', or with a resume '20 credits charged (12 now, 8 before the
    restart)'."""
    total, now = report.credits.charged, report.credits.charged_now
    before = f" ({now:,} now, {total - now:,} before the restart)" if now != total else ""
    return f"{_n(total, 'credit')} charged{before}"


def _remove(*paths: Path) -> None:
    for path in paths:
        with contextlib.suppress(OSError):
            path.unlink()


def _age(path: Path) -> float:
    try:
        return time.time() - path.lstat().st_mtime
    except OSError:
        return 0.0
