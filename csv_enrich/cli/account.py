"""The account commands: `task` (enrich a cohort), `status` (a workflow) and `runs` (the past).

Each parses, calls one library function, renders and exits (see commands.py for exit codes).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from csv_enrich.cli.commands import (
    _confirmation,
    _errors,
    _finish,
    _json,
    _resume_command,
    main,
)
from csv_enrich.cli.options import api_key, connection, connection_options, state_dir_default
from csv_enrich.errors import ExitStatus, Interrupted, UsageError
from csv_enrich.models import Connection, Progress

if TYPE_CHECKING:
    from csv_enrich.api.client import WorkflowStatus


@main.command()
@click.argument("task_id")
@click.option("-o", "--output", required=True, type=click.Path(path_type=Path),
              help="Where to write the cohort's results (.xlsx, .csv, .tsv).")
@click.option("--data-points", required=True, metavar="POINTS",
              help="Comma-separated. Person cohorts: Email, Phone, LinkedIn (Email+Phone = full, "
                   "11 credits a lead; Phone = phone_only, 10; else partial, 1). Company "
                   "cohorts: Industry, Employees, Revenue, Funding, TechStack, Domain.")
@click.option("--entity-ids", metavar="A,B",
              help="Only these entities of the cohort (a strict subset).")
@click.option("--lead-list-id", help="Where person results land (default: the API's "
                                     "\"MCP Results\" list).")
@click.option("--max-credits", type=click.IntRange(min=0), help="Never spend more than this.")
@click.option("-y", "--yes", is_flag=True, help="Do not ask before spending.")
@click.option("--report", "report_path", type=click.Path(path_type=Path),
              help="Cost report path (default: OUTPUT without suffix + .report.json).")
@click.option("--bom", is_flag=True, help="Start CSV output with a BOM for Excel.")
@click.option("--json", "as_json", is_flag=True, help="Print the final report as JSON.")
@click.option("-q", "--quiet", is_flag=True, help="No progress, no summary.")
@connection_options
def task(
    task_id: str, output: Path, data_points: str, entity_ids: str | None,
    lead_list_id: str | None, max_credits: int | None, yes: bool, report_path: Path | None,
    bom: bool, as_json: bool, quiet: bool, sandbox: bool, api_key_file: Path | None,
    base_url: str, state_dir: Path | None, rate_limit: int, debug: bool,
) -> None:
    """Enrich a cohort (the task_id of a search or a lead-list page) into OUTPUT.

    Person cohorts run as a workflow at the API (polled here) and land in a lead list; company
    cohorts answer at once. A quote is asked for first and shown, and capped like any run.

    \b
    Example:
      csv-enrich task cl-task_8b21f4 -o cohort.xlsx --data-points Email,Phone --max-credits 500
    """
    from csv_enrich.cli.progress import ProgressPrinter
    from csv_enrich.cohort import TaskJob, enrich_task, parse_entity_ids

    with _errors(debug):
        job = TaskJob(task_id=task_id, output=output, data_points=tuple(data_points.split(",")),
                      entity_ids=parse_entity_ids(entity_ids), lead_list_id=lead_list_id,
                      max_credits=max_credits, report=report_path, bom=bom)
        consent = _confirmation(yes=yes, sandbox=sandbox, max_credits=max_credits)
        with connection(sandbox=sandbox, api_key_file=api_key_file, base_url=base_url,
                        state_dir=state_dir, rate_limit=rate_limit) as conn, \
                ProgressPrinter(quiet=quiet or as_json) as printer:
            try:
                report = enrich_task(job, conn, confirm=consent, progress=printer.update,
                                     command=_resume_command())
            except Interrupted as exc:
                exc.message += f" Resume with: {_resume_command()}"
                raise
        _finish(report, as_json=as_json, quiet=quiet)


@main.command()
@click.argument("workflow_id")
@click.option("--wait", is_flag=True, help="Poll until the workflow ends, with a progress bar.")
@click.option("--json", "as_json", is_flag=True, help="Print as JSON.")
@connection_options
def status(
    workflow_id: str, wait: bool, as_json: bool, sandbox: bool, api_key_file: Path | None,
    base_url: str, state_dir: Path | None, rate_limit: int, debug: bool,
) -> None:
    """Show a workflow's state, progress, counters and credits (free).

    WORKFLOW_ID is a workflow id (bulk-enrich-..., enrich-...) or a cl-task_ handle. With
    --wait the exit code is 1 when the workflow ended failed or cancelled.

    \b
    Example:
      csv-enrich status bulk-enrich-9a1b2c --wait
    """
    from csv_enrich.account import workflow_status
    from csv_enrich.cli.account_view import status_dict, status_lines
    from csv_enrich.cli.progress import ProgressPrinter

    def show(st: WorkflowStatus) -> None:
        printer.update(Progress(st.processed or 0, st.total or 0, st.credits_charged or 0, 0))

    with _errors(debug), connection(sandbox=sandbox, api_key_file=api_key_file,
                                    base_url=base_url, state_dir=state_dir,
                                    rate_limit=rate_limit) as conn, \
            ProgressPrinter(quiet=not wait or as_json) as printer:
        st = workflow_status(conn, workflow_id, wait=wait, progress=show)
    click.echo(_json(status_dict(st)) if as_json else "\n".join(status_lines(st)))
    sys.exit(ExitStatus.ROWS_FAILED if wait and st.status != "completed" else ExitStatus.OK)


@main.command()
@click.argument("action", required=False, type=click.Choice(["show"]))
@click.argument("run_id", required=False)
@click.option("--json", "as_json", is_flag=True, help="Print as JSON.")
@connection_options
def runs(
    action: str | None, run_id: str | None, as_json: bool, sandbox: bool,
    api_key_file: Path | None, base_url: str, state_dir: Path | None, rate_limit: int,
    debug: bool,
) -> None:
    """List this account's past runs from the journal, or show one run's report.

    Each run: when, input, output, rows by status, credits charged, and whether it finished;
    an interrupted run shows the command that resumes it.

    \b
    Examples:
      csv-enrich runs
      csv-enrich runs show 3f2a9c1d4e5f
    """
    from csv_enrich.account import past_run, past_runs
    from csv_enrich.cli.account_view import report_lines, run_dict, runs_lines

    with _errors(debug):
        conn = _journal_only(sandbox, api_key_file, base_url, state_dir)
        every = sandbox  # sandbox keys and ports change per start: all its runs are ours
        if action is None:
            found = past_runs(conn, every_account=every)
            click.echo(_json([run_dict(r) for r in found]) if as_json
                       else "\n".join(runs_lines(found)))
            return
        if not run_id:
            raise UsageError("Which run? `csv-enrich runs show RUN_ID` (ids from "
                             "`csv-enrich runs`).")
        run = past_run(conn, run_id, every_account=every)
        doc = run.report if run.report is not None else run_dict(run)
        click.echo(_json(doc) if as_json else "\n".join(report_lines(run)))


def _journal_only(sandbox: bool, api_key_file: Path | None, base_url: str,
                  state_dir: Path | None) -> Connection:
    """The journal and the account whose runs to list; nothing is sent, no sandbox started."""
    if sandbox:
        return Connection(base_url="", api_key="",
                          state_dir=(state_dir or state_dir_default()) / "sandbox")
    return Connection(base_url=base_url, api_key=api_key(api_key_file), state_dir=state_dir)
