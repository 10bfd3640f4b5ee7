"""Past runs by account, as `csv-enrich runs` lists them."""

from __future__ import annotations

import json
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from csv_enrich.journal.store import _Store, outcome_from_json
from csv_enrich.models import WorkflowRecord
from csv_enrich.models import scope_of as scope_of  # its home was here; callers still find it


@dataclass(frozen=True)
class PastRun:
    """One run of the journal as `csv-enrich runs` lists it.

    `finished_at` is None while the run is going on or after it was interrupted (Ctrl-C, a
    crash, an error); `report` is the final report's JSON document once it finished.
    """

    run_id: str
    started_at: float
    last_started_at: float
    finished_at: float | None
    input: str
    output: str
    command: str
    report: Mapping[str, Any] | None
    rows: Mapping[str, int]
    credits_charged: int


class RunLog(_Store):
    """Past runs by account: started (with the command that resumes it), finished (with the
    report). Rows and credits of a run that did not finish come from its items and workflows."""

    def __enter__(self) -> RunLog:
        return self

    def started(self, run_id: str, scope: str, *, input: str, output: str, command: str) -> None:
        """Record that a run (or a resume of it) starts now."""
        now = time.time()
        self._write(
            "INSERT INTO runs VALUES (?, ?, ?, ?, NULL, ?, ?, ?, NULL) ON CONFLICT (run_id) DO "
            "UPDATE SET last_started_at=excluded.last_started_at, finished_at=NULL, "
            "output=excluded.output, command=excluded.command",
            run_id, scope, now, now, input, output, command)

    def finished(self, run_id: str, report: Mapping[str, Any]) -> None:
        """Record that the run finished, with its report's JSON document."""
        self._write("UPDATE runs SET finished_at=?, report=? WHERE run_id=?",
                    time.time(), json.dumps(report), run_id)

    def runs(self, scope: str | None) -> list[PastRun]:
        """The account's runs (every run when `scope` is None), latest first."""
        return [self._past(row) for row in self._rows(
            "SELECT run_id, started_at, last_started_at, finished_at, input, output, command, "
            "report FROM runs WHERE ? IS NULL OR scope=? ORDER BY last_started_at DESC",
            scope, scope)]

    def _past(self, row: tuple[Any, ...]) -> PastRun:
        run_id, started, last, finished, input_, output, command, report = row
        doc = json.loads(report) if report else None
        if doc is not None:
            rows = {k: int(v) for k, v in doc["rows"].items()}
            charged = int(doc["credits"]["charged"])
        else:
            rows, charged = self._so_far(run_id)
        return PastRun(run_id, started, last, finished, input_, output, command, doc, rows,
                       charged)

    def _so_far(self, run_id: str) -> tuple[dict[str, int], int]:
        """Rows by status and credits settled so far, from the items and workflows."""
        outcomes = [outcome_from_json(text) for (text,) in self._rows(
            "SELECT outcome FROM items WHERE run_id=? AND outcome IS NOT NULL", run_id)]
        rows: dict[str, int] = {}
        for outcome in outcomes:
            rows[outcome.status] = rows.get(outcome.status, 0) + 1
        settled = sum(WorkflowRecord(**json.loads(r)).credits_charged for (r,) in self._rows(
            "SELECT record FROM workflows WHERE run_id=?", run_id))
        return rows, settled or sum(o.credits for o in outcomes)
