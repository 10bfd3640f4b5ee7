"""The library's two jobs end to end: `estimate_file` (spends nothing; its home is
`runner_estimate`, which imports no HTTP client) and `enrich_file`.

Both are what the CLI calls; neither prints. Progress and the confirmation reach the caller through
callbacks, so a terminal, the drop folder and tests can each show (or answer) them their own way.
"""

from __future__ import annotations

import asyncio
import json
import os
import threading
from collections.abc import AsyncIterator, Callable, Coroutine, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from filelock import FileLock, Timeout

from csv_enrich.api.client import CleanlistClient, make_http_client
from csv_enrich.engine.context import Tuning
from csv_enrich.engine.run import RunInterrupted, preflight, run_plan
from csv_enrich.errors import Interrupted, OutputError
from csv_enrich.journal import Journal, ResultCache, RunLog, default_state_dir
from csv_enrich.models import Connection, EnrichOptions, Plan, Progress, RunResult
from csv_enrich.output.atomic import write_report
from csv_enrich.output.headers import appended_headers
from csv_enrich.output.write import check_fits, check_writable, default_output, join, write_output
from csv_enrich.plan import Loaded, load, make_plan
from csv_enrich.report import Report, build_report, report_dict, with_notes
from csv_enrich.runner_estimate import Estimate as Estimate
from csv_enrich.runner_estimate import estimate_file as estimate_file

ConfirmCallback = Callable[[Plan, int], bool]
INTERRUPTED_FILES = (" What was done so far is in {output} and its report (marked interrupted); "
                     "the resumed run's report covers the whole run.")
ProgressCallback = Callable[[Progress], None]


def report_path(options: EnrichOptions) -> Path:
    """--report, else the output's name without its suffix plus `.report.json`."""
    if options.report is not None:
        return options.report
    assert options.output is not None
    return options.output.with_suffix(".report.json")


def check_report_kept(output: Path, report: Path) -> None:
    """Raise OutputError when the default report `report` is another output's: `-o out.csv`
    then `-o out.xlsx` name one `out.report.json`, and the second run would silently replace
    the first one's record of what was paid (a rerun to the same output replaces its own)."""
    try:
        earlier = json.loads(report.read_text(encoding="utf-8")).get("output")
    except (OSError, ValueError, AttributeError):
        return
    if isinstance(earlier, str) and Path(earlier).name != output.name:
        raise OutputError(
            f"{str(report)!r} is the report of {Path(earlier).name!r}, written by an earlier "
            f"run; this run would replace it. Name this run's report with --report "
            f"{output.name}.report.json, or choose another -o.")


def enrich_file(
    options: EnrichOptions,
    *,
    confirm: ConfirmCallback | None = None,
    progress: ProgressCallback | None = None,
    http: httpx.AsyncClient | None = None,
    tuning: Tuning | None = None,
    command: str = "",
    stop: threading.Event | None = None,
) -> Report:
    """Enrich `options.input` into `options.output` and write the cost report next to it.

    `confirm(plan, balance)` is asked once before the first credit is spent; returning False
    stops with nothing spent. `tuning` sets the engine's poll timing (the defaults suit the
    real API; tests shrink them). Raises a CsvEnrichError subclass on anything a person must
    fix. `command` is what resumes the run (kept in the journal's list of past runs). Setting
    `stop` (from another thread or a signal handler) stops the run as Ctrl-C does: Interrupted,
    and the same job resumes it.
    """
    assert options.output is not None, "enrich_file needs an output path"
    report = report_path(options)
    check_writable(options.output, report, input_path=options.input)
    if options.report is None:
        check_report_kept(options.output, report)
    started = datetime.now(UTC)
    loaded = load(options)
    check_fits(loaded.table, options.output, loaded.columns.kind)
    try:
        return asyncio.run(_stoppable(_enrich(options, loaded, report, started, confirm,
                                              progress, http, tuning, command), stop))
    except (KeyboardInterrupt, asyncio.CancelledError):
        raise Interrupted("Interrupted. Nothing already paid for will be paid again.") from None


async def _stoppable(work: Coroutine[Any, Any, Report], stop: threading.Event | None) -> Report:
    """Await `work`, cancelling it (as Ctrl-C does) once `stop` is set."""
    if stop is None:
        return await work
    task = asyncio.ensure_future(work)
    try:
        while not task.done() and not stop.is_set():
            await asyncio.wait({task}, timeout=0.05)
    except asyncio.CancelledError:  # Ctrl-C: the run stops the same way, and says so
        pass
    task.cancel()
    return await task


async def _enrich(
    options: EnrichOptions,
    loaded: Loaded,
    report_file: Path,
    started: datetime,
    confirm: ConfirmCallback | None,
    progress: ProgressCallback | None,
    http: httpx.AsyncClient | None,
    tuning: Tuning | None,
    command: str = "",
) -> Report:
    async with _http(http, options.concurrency) as session:
        client = _client(session, options.connection)
        with _journal(options.connection, progress) as (journal, cache):
            plan = make_plan(loaded, options, cache, pack=True)  # the cells: unread until the
            # output, compressed meanwhile (read.packed)
            balance = await preflight(plan, client)
            if plan.to_pay and confirm is not None and not confirm(plan, balance):
                raise Interrupted("Stopped before spending anything.")
            before = journal.reported_charged(plan.run_id)
            log_started(journal, plan, options, command)  # a run refused above is not one
            try:
                result = await run_plan(
                    plan, client=client, journal=journal, cache=cache,
                    workers=options.concurrency, progress=progress, tuning=tuning,
                )
            except RunInterrupted as stop:
                report = _write(options, loaded, plan, stop.result, report_file, started,
                                before, interrupted=True)
                journal.finish_run(plan.run_id, report.credits.charged, finished=False)
                stop.message += INTERRUPTED_FILES.format(output=options.output)
                raise
            report = _write(options, loaded, plan, result, report_file, started, before)
            journal.finish_run(plan.run_id, report.credits.charged, finished=True)
            with RunLog(journal.path.parent) as log:
                log.finished(plan.run_id, report_dict(report))
    return report


def log_started(journal: Journal, plan: Plan, options: EnrichOptions, command: str) -> None:
    """Record in the list of past runs that this run (or its resume) starts spending now."""
    with RunLog(journal.path.parent) as log:
        log.started(plan.run_id, options.connection.scope,
                    input=os.path.abspath(options.input),
                    output=os.path.abspath(options.output or ""), command=command)


def _write(options: EnrichOptions, loaded: Loaded, plan: Plan, result: RunResult,
           report_file: Path, started: datetime, charged_before: int, *,
           interrupted: bool = False) -> Report:
    """Join the outcomes onto the rows, write the output and then the report."""
    rows = join(plan, result.outcomes, source_rows=loaded.table.source_rows)
    assert options.output is not None
    renamed = appended_headers(loaded.table.headers, plan.kind)[1]
    report = build_report(
        options=options, table=loaded.table, plan=plan, result=result, rows=rows,
        output=options.output, started_at=started, finished_at=datetime.now(UTC),
        notes=(*loaded.table.notes, *loaded.columns.notes, *renamed), report_path=report_file,
        charged_before=charged_before, interrupted=interrupted,
    )
    written = write_output(loaded.table, plan.kind, rows, options.output, report=report,
                           bom=options.bom)
    report = with_notes(report, written)
    write_report(report, report_file)
    return report


@asynccontextmanager
async def _http(given: httpx.AsyncClient | None,
                concurrency: int) -> AsyncIterator[httpx.AsyncClient]:
    """Use the caller's HTTP client, or make (and close) one."""
    if given is not None:
        yield given
        return
    async with make_http_client(max_connections=concurrency) as made:
        yield made


WAITING = ("Another csv-enrich run is using this state directory; waiting for it to finish, so "
           "that nobody in both files is paid for twice.")


@contextmanager
def lock_state_dir(state_dir: Path, progress: ProgressCallback | None = None) -> Iterator[None]:
    """Hold the state directory for one enriching run at a time (an OS file lock, on Windows
    too; released when the block ends or the process dies). Two runs over overlapping people at
    once would each see the other's people as unpaid; the second waits, and says so, then plans
    with the first one's results."""
    lock = FileLock(state_dir / "run.lock")
    try:
        lock.acquire(blocking=False)
    except Timeout:
        if progress is not None:
            progress(Progress(done=0, total=0, credits=0, requests=0, message=WAITING))
        lock.acquire()
    try:
        yield
    finally:
        lock.release()


@contextmanager
def _journal(connection: Connection,
             progress: ProgressCallback | None = None) -> Iterator[tuple[Journal, ResultCache]]:
    """Hold the state directory, and open the journal and the result cache in it."""
    state_dir = connection.state_dir or default_state_dir()
    state_dir.mkdir(parents=True, exist_ok=True)
    with (lock_state_dir(state_dir, progress), Journal(state_dir) as journal,
          ResultCache(state_dir) as cache):
        yield journal, cache


def _client(session: httpx.AsyncClient, connection: Connection) -> CleanlistClient:
    return CleanlistClient(session, api_key=connection.api_key, base_url=connection.base_url,
                           rate_limit_per_min=connection.rate_limit_per_min,
                           home_url=connection.home_url)


def fetch_balance(connection: Connection) -> int:
    """The organisation's credit balance (free); needs only the connection."""

    async def go() -> int:
        async with _http(None, 1) as session:
            return await _client(session, connection).balance()

    return asyncio.run(go())


# -- the drop folder's per-file job -------------------------------------------------------------


def dropped_output(outbox: Path, name: str) -> Path:
    """Where a dropped file's enriched copy goes: outbox/NAME.enriched.EXT, the format the
    file came in (.xls and .ods give .xlsx), never over an existing file or report."""
    return default_output(outbox / name)


def enrich_dropped(
    options: EnrichOptions, *, max_credits: int | None, progress: ProgressCallback | None = None,
    tuning: Tuning | None = None, stop: threading.Event | None = None,
) -> Report:
    """Enrich one file taken from a drop folder. Nobody is asked: `max_credits` (what the file
    was allowed, within what is left of the day) is the consent, so a plan that grew past it
    stops before spending (CreditsError). The same engine, journal and cache as `enrich_file`:
    a file resumed after a crash, or dropped again, pays nobody twice."""
    return enrich_file(replace(options, max_credits=max_credits, yes=True), progress=progress,
                       tuning=tuning, stop=stop)
