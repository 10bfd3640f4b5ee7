"""The account's own questions: a workflow's state (now, or when it ends) and the past runs kept
in the journal. Nothing here prints; the CLI renders what these return."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import httpx

from csv_enrich import errors
from csv_enrich.api.client import WorkflowStatus
from csv_enrich.cohort_poll import wait_workflow
from csv_enrich.engine.context import Tuning
from csv_enrich.journal import PastRun, RunLog, default_state_dir
from csv_enrich.models import Connection
from csv_enrich.runner import _client, _http

__all__ = ["past_run", "past_runs", "workflow_status"]

NOT_FOUND = ("No workflow {ref!r} for this key's organisation. Workflow ids look like "
             "bulk-enrich-..., enrich-... or a cl-task_... handle; check the id and the key.")
STATUS_TUNING = Tuning(bulk_first_poll_s=2.0, min_poll_s=2.0, max_poll_s=15.0,
                       bulk_timeout_s=6 * 3600.0)


def workflow_status(
    connection: Connection,
    ref: str,
    *,
    wait: bool = False,
    progress: Callable[[WorkflowStatus], None] | None = None,
    tuning: Tuning | None = None,
    http: httpx.AsyncClient | None = None,
) -> WorkflowStatus:
    """The state of workflow `ref` (a workflow id or a cl-task_ handle); with `wait`, polled
    until it ends, `progress` called after every answer. Free."""

    async def go() -> WorkflowStatus:
        async with _http(http, 1) as session:
            client = _client(session, connection)
            try:
                first = await client.status(ref)
                if progress is not None:
                    progress(first)
                if not wait or first.terminal:
                    return first
                return await wait_workflow(client, ref, tuning or STATUS_TUNING,
                                           lambda st, _: progress(st) if progress else None)
            except errors.NotFoundError:
                raise errors.UsageError(NOT_FOUND.format(ref=ref)) from None

    try:
        return asyncio.run(go())
    except KeyboardInterrupt:
        raise errors.Interrupted("Stopped watching; the workflow goes on at the API.") from None


def past_runs(connection: Connection, *, every_account: bool = False) -> list[PastRun]:
    """This account's runs in the journal (every account's with `every_account`), latest
    first; empty when there is no journal yet."""
    state_dir = connection.state_dir or default_state_dir()
    if not (state_dir / "journal.sqlite3").exists():
        return []
    with RunLog(state_dir) as log:
        return log.runs(None if every_account else connection.scope)


def past_run(connection: Connection, run_id: str, *, every_account: bool = False) -> PastRun:
    """One of this account's runs by id (or a unique prefix of it), else UsageError."""
    found = [r for r in past_runs(connection, every_account=every_account)
             if _names(r.run_id, run_id.strip())]
    exact = [r for r in found if r.run_id == run_id.strip()]
    if len(exact or found) != 1 or not run_id.strip():
        many = f"{len(found)} runs start with {run_id!r}; give more of the id" if found else (
            f"No run {run_id!r} in the journal for this account")
        raise errors.UsageError(f"{many}. `csv-enrich runs` lists them.")
    return (exact or found)[0]



def _names(run_id: str, given: str) -> bool:
    """`given` names the run: a prefix of its id, with its rerun number when it has one (the
    same file run again gets the same id plus `-2`, `-3`...; `runs` shows `3f2a9c1d4e5f-2`)."""
    head, _, n = run_id.partition("-")
    given_head, _, given_n = given.partition("-")
    return head.startswith(given_head) and n == given_n
