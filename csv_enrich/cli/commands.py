"""The command line: parse options, call the library, render, exit. The only module that prints.

Exit codes (errors.ExitStatus): 0 done; 1 done but some rows failed; 2 bad usage or unreadable
input; 3 credits (over --max-credits or the balance); 4 authentication or permission; 5 API
unavailable after retries; 130 interrupted (run the same command again to resume).
"""

from __future__ import annotations

import contextlib
import os
import select
import shlex
import signal
import sys
import threading
import traceback
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

import click

from csv_enrich.cli.memory import return_freed_memory
from csv_enrich.cli.options import (
    check_output,
    connection,
    connection_options,
    offline_connection,
    output_path,
    parse_maps,
    reading_options,
)
from csv_enrich.errors import (
    CreditsError,
    CsvEnrichError,
    ExitStatus,
    Interrupted,
)
from csv_enrich.models import (
    Connection,
    EnrichmentType,
    EnrichOptions,
    KindChoice,
    ModeChoice,
)

if TYPE_CHECKING:
    from csv_enrich.models import Plan
    from csv_enrich.report import Report



class DefaultGroup(click.Group):
    """A group that runs `enrich` when the first argument is not a command."""

    def main(self, *args: Any, **kwargs: Any) -> Any:
        return_freed_memory()  # before any command imports polars
        return super().main(*args, **kwargs)

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if args and args[0] not in self.commands and args[0] not in ("--help", "-h", "--version"):
            args = ["enrich", *args]
        return super().parse_args(ctx, args)


@click.group(cls=DefaultGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="csv-enrich")
def main() -> None:
    """Enrich a lead spreadsheet (CSV or Excel) with verified emails, phones and company data
    from Cleanlist, and get back the same spreadsheet with new columns plus a cost report.

    \b
    Example (no key needed, runs on the built-in sandbox):
      csv-enrich samples/leads.xlsx -o enriched.xlsx --sandbox
    """


@main.command()
@reading_options
@click.option("-o", "--output", type=click.Path(path_type=Path),
              help="Where to write the enriched file (.xlsx, .csv, .tsv; .xlsm for an .xlsm "
                   "input). Default: INPUT's name + .enriched, beside it, never over a file.")
@click.option("--max-credits", type=click.IntRange(min=0), help="Never spend more than this.")
@click.option("-y", "--yes", is_flag=True, help="Do not ask before spending.")
@click.option("--concurrency", type=click.IntRange(1, 64), default=EnrichOptions.concurrency,
              show_default=True, help="Requests in flight at once.")
@click.option("--report", "report_path", type=click.Path(path_type=Path),
              help="Cost report path (default: OUTPUT without suffix + .report.json).")
@click.option("--bom", is_flag=True,
              help="Start CSV output with a BOM for Excel (automatic when the input CSV was not "
                   "UTF-8 or had a BOM).")
@click.option("--dry-run", is_flag=True,
              help="Show what would be sent and its cost; spend nothing.")
@click.option("--json", "as_json", is_flag=True, help="Print the final report as JSON.")
@click.option("-q", "--quiet", is_flag=True, help="No progress, no summary.")
@connection_options
def enrich(
    input: Path, kind: KindChoice, enrichment_type: EnrichmentType, mode: ModeChoice,
    maps: tuple[str, ...], sheet: str | None, limit: int | None, no_cache: bool, max_age: float,
    output: Path | None, max_credits: int | None, yes: bool, concurrency: int,
    report_path: Path | None, bom: bool, dry_run: bool, as_json: bool, quiet: bool,
    sandbox: bool, api_key_file: Path | None, base_url: str, state_dir: Path | None,
    rate_limit: int, debug: bool,
) -> None:
    """Enrich INPUT into OUTPUT and write a cost report next to it.

    \b
    Example:
      csv-enrich enrich leads.xlsx -o leads-enriched.xlsx --max-credits 500
    """
    with _errors(debug):
        job = EnrichOptions(
            input=input, output=output_path(output, input), report=report_path, kind=kind,
            enrichment_type=enrichment_type, mode=mode, mapping_overrides=parse_maps(maps),
            sheet=sheet, limit=limit, max_credits=max_credits, yes=yes, concurrency=concurrency,
            use_cache=not no_cache, max_age_days=max_age, bom=bom,
        )
        if dry_run:
            offline = offline_connection(api_key_file=api_key_file, base_url=base_url,
                                         state_dir=state_dir, sandbox=sandbox)
            options = replace(job, connection=offline)
            check_output(options)
            _print_estimate(options, as_json=as_json)
            return
        with connection(sandbox=sandbox, api_key_file=api_key_file, base_url=base_url,
                        state_dir=state_dir, rate_limit=rate_limit) as conn:
            options = replace(job, connection=conn)
            report = _run_enrich(options, quiet=quiet, sandbox=sandbox)
        _finish(report, as_json=as_json, quiet=quiet)


@main.command()
@reading_options
@click.option("--json", "as_json", is_flag=True, help="Print the estimate as JSON.")
@click.option("--state-dir", envvar="CSV_ENRICH_STATE_DIR",
              type=click.Path(file_okay=False, path_type=Path),
              help="Where the result cache lives (for cache hits).")
@click.option("--base-url", envvar="CLEANLIST_BASE_URL", default=Connection.base_url,
              show_default=True, help="API base URL whose cached results count (no request is "
                                      "made).")
@click.option("--api-key-file", type=click.Path(dir_okay=False, path_type=Path),
              help="The key whose cached results count (else env CLEANLIST_API_KEY; optional).")
@click.option("--rate-limit", "rate_limit", type=click.IntRange(1, 6000),
              default=Connection.rate_limit_per_min, show_default=True,
              help="Requests per minute your API plan allows (for how long it takes).")
@click.option("--sandbox", is_flag=True,
              help="Count the results the embedded sandbox (--sandbox) already has as cached.")
@click.option("--debug", is_flag=True, help="Show tracebacks on errors.")
def estimate(
    input: Path, kind: KindChoice, enrichment_type: EnrichmentType, mode: ModeChoice,
    maps: tuple[str, ...], sheet: str | None, limit: int | None, no_cache: bool, max_age: float,
    as_json: bool, state_dir: Path | None, base_url: str, api_key_file: Path | None,
    rate_limit: int, sandbox: bool, debug: bool,
) -> None:
    """Show how INPUT is understood and the most it can cost. Spends nothing, sends nothing.

    \b
    Example:
      csv-enrich estimate leads.csv --type full
    """
    with _errors(debug):
        offline = replace(offline_connection(api_key_file=api_key_file, base_url=base_url,
                                             state_dir=state_dir, sandbox=sandbox),
                          rate_limit_per_min=rate_limit)
        options = EnrichOptions(
            input=input, kind=kind, enrichment_type=enrichment_type, mode=mode,
            mapping_overrides=parse_maps(maps), sheet=sheet, limit=limit,
            use_cache=not no_cache, max_age_days=max_age, connection=offline,
        )
        _print_estimate(options, as_json=as_json)


@main.command()
@click.option("--json", "as_json", is_flag=True, help="Print as JSON.")
@connection_options
def balance(
    as_json: bool, sandbox: bool, api_key_file: Path | None, base_url: str,
    state_dir: Path | None, rate_limit: int, debug: bool,
) -> None:
    """Show the organisation's credit balance.

    \b
    Example:
      csv-enrich balance
    """
    from csv_enrich.runner import fetch_balance

    with _errors(debug), connection(sandbox=sandbox, api_key_file=api_key_file,
                                    base_url=base_url, state_dir=state_dir,
                                    rate_limit=rate_limit) as conn:
        credits = fetch_balance(conn)
        if as_json:
            click.echo(_json({"credits": credits}))
        else:
            click.echo(f"{credits:,} credits")


@main.command()
@click.argument("folder", type=click.Path(file_okay=False, path_type=Path))
@click.option("--once", is_flag=True, help="Enrich what is in inbox now, then exit (for cron).")
@click.option("--poll", is_flag=True,
              help="Look for new files every second instead of waiting for events (network "
                   "drives and synced folders, where events do not arrive).")
@click.option("--settle", type=click.FloatRange(min=0), default=2.0, show_default=True,
              help="Seconds a file's size and time must stand still before it is taken.")
@click.option("--concurrency", type=click.IntRange(1, 64), default=EnrichOptions.concurrency,
              show_default=True, help="Requests in flight at once.")
@connection_options
def watch(
    folder: Path, once: bool, poll: bool, settle: float, concurrency: int, sandbox: bool,
    api_key_file: Path | None, base_url: str, state_dir: Path | None, rate_limit: int,
    debug: bool,
) -> None:
    """Enrich every spreadsheet dropped into FOLDER/inbox: the enriched file and its report go
    to FOLDER/outbox, the original to FOLDER/archive (FOLDER/failed with the reason when it
    cannot be done). Settings and caps live in FOLDER/csv-enrich.toml; see the README.

    \b
    Example:
      csv-enrich watch ~/Leads --sandbox
    """
    import signal
    import threading

    from csv_enrich.watch import Job, WatchOptions, watch_folder

    stop = threading.Event()
    if threading.current_thread() is threading.main_thread():  # `systemctl stop`: finish cleanly
        signal.signal(signal.SIGTERM, lambda *_: stop.set())
    with _errors(debug), connection(sandbox=sandbox, api_key_file=api_key_file,
                                    base_url=base_url, state_dir=state_dir,
                                    rate_limit=rate_limit) as conn:
        options = WatchOptions(folder=folder, job=Job(connection=conn, concurrency=concurrency),
                               settle=settle, once=once, poll=poll)
        try:
            watch_folder(options, stop=stop, echo=click.echo)
        except (Interrupted, KeyboardInterrupt):
            click.echo("csv-enrich: the watcher stopped. Start it again to go on; a file it was "
                       "enriching resumes without paying twice.", err=True)
            sys.exit(ExitStatus.INTERRUPTED)


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", type=click.IntRange(0, 65535), default=8787, show_default=True)
@click.option("--credits", type=click.IntRange(min=0), default=100_000, show_default=True)
@click.option("--rate-limit-per-min", type=click.IntRange(min=1), default=30, show_default=True)
@click.option("--latency-ms", type=click.IntRange(min=0), default=0, show_default=True)
@click.option("--fault-rate", type=click.FloatRange(0, 1), default=0.0, show_default=True)
@click.option("--seed", type=int, default=0, show_default=True)
@click.option("--time-scale", type=click.FloatRange(min=0, min_open=True), default=1.0,
              show_default=True, help="0.01 makes workflows finish 100x faster.")
@click.option("--no-csv-import", is_flag=True, help="Answer csv-import with 503 (kill switch).")
@click.option("--state", type=click.Path(dir_okay=False, path_type=Path),
              help="Keep lists, leads, balance and workflows in this file across restarts.")
@click.option("--ledger", type=click.Path(dir_okay=False, path_type=Path),
              help="Append every charge and request to this JSON-lines file.")
def sandbox(
    host: str, port: int, credits: int, rate_limit_per_min: int, latency_ms: int,
    fault_rate: float, seed: int, time_scale: float, no_csv_import: bool, state: Path | None,
    ledger: Path | None,
) -> None:
    """Run the local Cleanlist sandbox (the same HTTP API, fake data, no real credits).

    \b
    Example:
      csv-enrich sandbox --port 8787 --time-scale 0.1
    """
    from csv_enrich.sandbox import SandboxConfig, serve

    config = SandboxConfig(
        credits=credits, rate_limit_per_min=rate_limit_per_min,
        # one key must be able to use all of its limit: the org limit is twice the key's (>= 60)
        org_rate_limit_per_min=max(60, 2 * rate_limit_per_min),
        latency_ms=latency_ms, fault_rate=fault_rate, seed=seed,
        time_scale=time_scale, csv_import=not no_csv_import,
        state_file=state, ledger_file=ledger,
    )

    def ready(base_url: str, api_key: str) -> None:
        click.echo(f"Cleanlist sandbox listening on {base_url}")
        click.echo(f"Use it with:  CLEANLIST_BASE_URL={base_url} CLEANLIST_API_KEY={api_key}")
        click.echo("Press Ctrl-C to stop.")

    serve(config, host=host, port=port, on_ready=ready)
    click.echo("Sandbox stopped.")


# --- helpers -----------------------------------------------------------------------------------


def _run_enrich(options: EnrichOptions, *, quiet: bool, sandbox: bool) -> Report:
    from csv_enrich.cli.progress import ProgressPrinter
    from csv_enrich.runner import enrich_file

    with ProgressPrinter(quiet=quiet) as printer:
        try:
            consent = _confirmation(yes=options.yes, sandbox=sandbox,
                                    max_credits=options.max_credits)
            return enrich_file(options, confirm=consent,
                               progress=printer.update, command=_resume_command())
        except Interrupted as exc:
            exc.message += f" Resume with: {_resume_command()}"
            raise


def _confirmation(*, yes: bool, sandbox: bool,
                  max_credits: int | None) -> Callable[[Plan, int], bool] | None:
    """How the run is allowed to spend: --yes and the sandbox need no question; on a terminal
    the person is asked; elsewhere a --max-credits cap is the consent, and without one the run
    refuses (exit 3)."""
    if yes or sandbox:
        return None
    if sys.stdin.isatty() and sys.stderr.isatty():
        return _confirm
    if max_credits is not None:
        return None
    raise CreditsError(
        "Not on a terminal, so csv-enrich cannot ask before spending. "
        "Pass --max-credits N to cap the spend, or --yes to accept the estimate."
    )


def _in_hand_words(plan: Plan) -> str:
    """What the question says of work an interrupted run already paid for or has in flight."""
    words = ""
    if paid := len(plan.in_hand) - len(plan.resend):
        words += (f"; {paid:,} already paid or in flight by an interrupted run (collected, not "
                  "paid again)")
    if plan.resend:
        words += (f"; {len(plan.resend):,} company lookup(s) left in flight by an interrupted "
                  "run, resent with their quote (charged at most once, counted here)")
    return words


def _confirm(plan: Plan, balance: int) -> bool:
    kinds = ", ".join(f"{n:,} {etype}" for etype, n in plan.type_mix().items())
    paid = _in_hand_words(plan)
    click.echo(
        f"{plan.to_pay:,} to enrich ({kinds if len(plan.type_mix()) > 1 else plan.enrichment_type}"
        f"){paid}; up to {plan.estimated_max:,} credits of your {balance:,}.",
        err=True,
    )
    try:
        with _ctrl_c_stops():
            if _yes_or_no("Spend up to that?"):
                return True
    except (click.Abort, KeyboardInterrupt):  # Ctrl-C (or the end of input) at the question
        raise Interrupted("Stopped at the question: nothing spent.") from None
    raise CreditsError(
        "Nothing spent: the estimate was declined. To go ahead without the question, pass "
        "--max-credits N (a cap) or --yes."
    )


@contextlib.contextmanager
def _ctrl_c_stops() -> Iterator[None]:
    """Ctrl-C at a question stops at once (exit 130). The question is asked while the event
    loop runs, whose own Ctrl-C handler only cancels the run at its next await, so without
    this the first Ctrl-C at the prompt was ignored."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


def _yes_or_no(question: str) -> bool:
    """click.confirm (default no), waiting for the answer in short selects: a Ctrl-C that lands
    between the prompt and the read would otherwise leave the read blocked until Enter."""
    try:
        stdin = sys.stdin.fileno()
    except (AttributeError, OSError, ValueError):  # not a real stream (tests, Windows consoles)
        return click.confirm(question, default=False, err=True)
    if os.name == "nt":
        return click.confirm(question, default=False, err=True)
    while True:
        click.echo(f"{question} [y/N]: ", nl=False, err=True)
        try:
            while not select.select([stdin], [], [], 0.2)[0]:
                pass  # back in Python every 0.2 s, where a pending Ctrl-C is raised
            line = sys.stdin.readline()
        except KeyboardInterrupt:
            raise click.Abort from None
        if not line:
            raise click.Abort
        answer = line.strip().lower()
        if answer in ("y", "yes", "n", "no", ""):
            return answer in ("y", "yes")
        click.echo("Error: invalid input", err=True)


def _resume_command() -> str:
    return "csv-enrich " + " ".join(shlex.quote(a) for a in sys.argv[1:])


def _finish(report: Report, *, as_json: bool, quiet: bool) -> NoReturn:
    from csv_enrich.output.words import summary_lines
    from csv_enrich.report import report_dict

    if as_json:
        click.echo(_json(report_dict(report)))
    elif not quiet:
        for line in summary_lines(report):
            click.echo(line, err=True)
    failed = report_dict(report)["rows"]["failed"]
    sys.exit(ExitStatus.ROWS_FAILED if failed else ExitStatus.OK)


def run() -> None:
    """The `csv-enrich` entry point: `main` as a process (cli.process)."""
    from csv_enrich.cli.process import run_process

    run_process(main)


def _print_estimate(options: EnrichOptions, *, as_json: bool) -> None:
    from csv_enrich.cli.estimating import estimate_output
    from csv_enrich.cli.process import end_at_once

    for line in estimate_output(options, as_json=as_json):
        click.echo(line)
    end_at_once()  # nothing left to close or flush: a `run` process need not tear down


def _json(data: Any) -> str:
    import json

    return json.dumps(data, indent=2, ensure_ascii=False)


@contextlib.contextmanager
def _errors(debug: bool) -> Iterator[None]:
    """One clear line and the documented exit code for anything a person must fix."""
    try:
        yield
    except CsvEnrichError as exc:
        if debug:
            traceback.print_exc()
        click.echo(f"csv-enrich: {exc.message}", err=True)
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        click.echo(f"\ncsv-enrich: interrupted. Resume with: {_resume_command()}", err=True)
        sys.exit(ExitStatus.INTERRUPTED)
