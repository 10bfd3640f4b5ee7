"""Waiting on a workflow and reading a lead list back: what a cohort run and `csv-enrich status
--wait` share. Free calls only."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any

from csv_enrich import errors
from csv_enrich.api.client import CleanlistClient, Lead, LeadsPage, WorkflowStatus
from csv_enrich.engine.context import Tuning


async def wait_workflow(client: CleanlistClient, workflow_id: str, tuning: Tuning,
                        tick: Callable[[WorkflowStatus, int], None] | None = None,
                        ) -> WorkflowStatus:
    """Poll a workflow (id or cl-task_ handle) until it ends, ticking after every answer.
    Transient failures are polled through; past `tuning.bulk_timeout_s` it gives up (exit 5,
    and the same command collects it later)."""
    started, delay, polls = time.monotonic(), 0.0, 0
    while True:
        await asyncio.sleep(delay)
        polls += 1
        try:
            st = await client.status(workflow_id)
        except (errors.ServerError, errors.TransportError, errors.RateLimitedError):
            st = None
        if st is not None:
            if tick is not None:
                tick(st, client.stats.requests)
            if st.terminal:
                return st
        elapsed = time.monotonic() - started
        if elapsed > tuning.bulk_timeout_s:
            raise errors.ServerError(f"Workflow {workflow_id} is still running at the API. Run "
                                     "the same command again later to collect it.")
        delay = _next_delay(st, elapsed, tuning) if polls > 1 else tuning.bulk_first_poll_s


def _next_delay(st: WorkflowStatus | None, elapsed: float, tuning: Tuning) -> float:
    """Poll again about when the run should end, judged by its progress so far."""
    done = ((st.progress if st else 0) or 0) / 100
    guess = elapsed if done <= 0 else elapsed * (1 - done) / done * 0.8
    return min(tuning.max_poll_s, max(tuning.min_poll_s, guess))


async def read_leads(client: CleanlistClient, list_id: str) -> dict[str, Lead]:
    """Every lead of a list by id: through the JSON export (it carries email_status), else
    (no export:read scope) the leads pages."""
    try:
        return await _pages(client.export_leads, list_id)
    except (errors.AuthError, errors.RequestRejectedError, errors.NotFoundError):
        return await _pages(client.list_leads, list_id)


async def _pages(read: Callable[..., Any], list_id: str) -> dict[str, Lead]:
    leads: dict[str, Lead] = {}
    cursor = None
    while True:
        page: LeadsPage = await read(list_id, cursor=cursor, limit=500)
        leads.update((lead.lead_id, lead) for lead in page.leads)
        cursor = page.cursor
        if not cursor or not page.leads:
            return leads
