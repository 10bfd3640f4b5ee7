"""Cohorts by task: `enrich_task` turns a cohort handle (``cl-task_...``) into a spreadsheet and
a cost report; neither it nor the helpers print. Progress and consent reach the caller through
the same callbacks as `runner.enrich_file`.

    --data-points -> kind and type -> quote (POST /credits/estimate, free) -> cap, balance,
    consent -> intent journaled -> POST /enrichment/by-task -> person: poll the workflow, read
    the target list; company: results inline -> one row per entity -> output + report

A rerun of the same command resumes: a workflow already started is polled again, company
results already answered are read back from the journal, and an answer lost on the way is
settled by sending the same single-use quote again ("already used" proves it ran), so a cohort
is never paid for twice.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

from csv_enrich import errors
from csv_enrich.api.client import CleanlistClient, CohortRun, WorkflowStatus
from csv_enrich.cohort_poll import read_leads, wait_workflow
from csv_enrich.cohort_rows import (
    CohortDone,
    cohort_table,
    company_outcomes,
    entity_ids_of,
    person_outcomes,
    points_kind,
    points_type,
    row_warnings,
)
from csv_enrich.engine.context import Tuning, workflow_record
from csv_enrich.journal import Journal, RunLog
from csv_enrich.models import (
    Connection,
    EnrichOptions,
    Identity,
    Kind,
    Outcome,
    Plan,
    Progress,
    RunResult,
)
from csv_enrich.output.atomic import write_report as save_report
from csv_enrich.output.write import check_writable, write_output
from csv_enrich.report import Report, build_report, default_report_path, report_dict, with_notes
from csv_enrich.runner import ConfirmCallback, ProgressCallback, _client, _http, _journal

__all__ = ["TaskJob", "enrich_task", "parse_entity_ids", "points_kind", "points_type"]

LOST = ("The answer to the by-task call was lost after the API took it: the rows are every "
        "lead of list {list_id}.")
LOST_COMPANY = ("The API charged this company cohort but its answer was lost on the way; the "
                "results cannot be read again without paying again.")
LOST_OTHER = ("The cohort ran but its answer was lost, and the workflow {task} points to is not "
              "this run's; check it with `csv-enrich status {task}` before running again.")
INTERRUPTED = ("Interrupted. The cohort run is saved in the journal; run the same command again "
               "to resume without paying twice.")


@dataclass(frozen=True)
class TaskJob:
    """One `csv-enrich task` run: the cohort, what to buy, where the results go."""

    task_id: str
    output: Path
    data_points: tuple[str, ...]
    entity_ids: tuple[str, ...] | None = None
    lead_list_id: str | None = None
    max_credits: int | None = None
    report: Path | None = None
    bom: bool = False

    @property
    def report_path(self) -> Path:
        return self.report or default_report_path(self.output)


parse_entity_ids = entity_ids_of  # --entity-ids 'a,b' -> ('a', 'b'); refuses empty or repeats


def run_id_of(job: TaskJob, points: Sequence[str], connection: Connection) -> str:
    """The journal's name for a cohort run: the same command after a crash finds it again."""
    settings = {"v": "task1", "task": job.task_id, "points": sorted(points),
                "ids": sorted(job.entity_ids) if job.entity_ids is not None else None,
                "list": job.lead_list_id, "base_url": connection.home.rstrip("/")}
    return hashlib.sha256(json.dumps(settings, sort_keys=True).encode()).hexdigest()[:32]


def enrich_task(
    job: TaskJob,
    connection: Connection,
    *,
    confirm: ConfirmCallback | None = None,
    progress: ProgressCallback | None = None,
    http: httpx.AsyncClient | None = None,
    tuning: Tuning | None = None,
    command: str = "",
) -> Report:
    """Enrich the cohort `job.task_id` into `job.output`, with the report beside it.

    `connection` is the API, key and state dir to use. `confirm(plan,
    balance)` is asked once with the quote before anything is spent. Raises a CsvEnrichError
    subclass on anything a person must fix; nothing is spent when the request is refused.
    """
    kind, points = points_kind(job.data_points)
    check_writable(job.output, job.report_path, input_path=Path(job.task_id))
    run = _TaskRun(job, connection, kind, points, tuning or Tuning(), progress, command)
    try:
        return asyncio.run(run.main(confirm, http))
    except KeyboardInterrupt:
        raise errors.Interrupted(INTERRUPTED) from None


@dataclass
class _TaskRun:
    job: TaskJob
    connection: Connection
    kind: Kind
    points: tuple[str, ...]
    tuning: Tuning
    progress: ProgressCallback | None
    command: str
    run_id: str = ""
    warnings: list[str] = field(default_factory=list)
    estimated: int = 0
    list_id: str = ""
    _last: Progress = field(default_factory=lambda: Progress(0, 0, 0, 0))
    log: RunLog | None = None

    def __post_init__(self) -> None:
        self.run_id = run_id_of(self.job, self.points, self.connection)
        self.etype = points_type(self.points) if self.kind == "person" else "partial"

    async def main(self, confirm: ConfirmCallback | None, http: httpx.AsyncClient | None,
                   ) -> Report:
        started = datetime.now(UTC)
        async with _http(http, 4) as session:
            client = _client(session, self.connection)
            with _journal(self.connection, self.progress) as (journal, _), \
                    RunLog(journal.path.parent) as log:
                self.log = log
                result = await self._run(client, journal, confirm)
                report = self._write(result, started, journal.reported_charged(self.run_id))
                journal.finish_run(self.run_id, report.credits.charged, finished=True)
                log.finished(self.run_id, report_dict(report))
        return report

    def _started(self, journal: Journal, balance: int) -> None:
        """From here on the run may spend: keep its first balance, list it as a past run."""
        journal.first_balance(self.run_id, balance)
        if self.log is not None:
            self.log.started(self.run_id, self.connection.scope,
                             input=self.job.task_id, output=str(self.job.output.resolve()),
                             command=self.command)

    def say(self, message: str, done: int = 0, total: int = 0, credits: int = 0,
            requests: int = 0) -> None:
        """Tell the caller; counts left at 0 repeat the last tick's (a message alone)."""
        last = self._last
        tick = Progress(done=done or last.done, total=total or last.total,
                        credits=credits or last.credits, requests=requests or last.requests,
                        message=message)
        self._last = tick
        if self.progress is not None:
            self.progress(tick)

    # -- the run -----------------------------------------------------------------------------

    async def _run(self, client: CleanlistClient, journal: Journal,
                   confirm: ConfirmCallback | None) -> CohortDone:
        balance = await client.balance()
        self.estimated = int(journal.get(self.run_id, "task_estimate") or 0)
        resumed = any(journal.get(self.run_id, k) is not None
                      for k in ("task_answer", "task_intent"))
        finished_before = journal.get(self.run_id, "finished") is not None  # a replay, free
        try:
            done = await self._dispatch(client, journal, confirm, balance)
        except asyncio.CancelledError:
            raise errors.Interrupted(INTERRUPTED) from None
        first = journal.balance_before(self.run_id)
        done.balance_before = balance if first is None or finished_before else first
        done.balance_after = await client.balance()
        done.resumed, done.stats = resumed, client.stats
        return done

    async def _dispatch(self, client: CleanlistClient, journal: Journal,
                        confirm: ConfirmCallback | None, balance: int) -> CohortDone:
        answered = journal.get(self.run_id, "task_answer")
        if answered is not None or journal.get(self.run_id, "task_intent") is not None:
            self._started(journal, balance)
        if answered is None:
            answered = await self._send(client, journal, confirm, balance)
        if answered["kind"] == "company":
            return self._company_done(journal, answered)
        return await self._person_done(client, journal, answered)

    async def _send(self, client: CleanlistClient, journal: Journal,
                    confirm: ConfirmCallback | None, balance: int) -> dict[str, Any]:
        """Quote, check, journal the intent, send; the answer as journaled."""
        intent = journal.get(self.run_id, "task_intent")
        if intent is not None:
            answer = await self._resend(client, journal, intent)
            if answer is not None:
                return answer
        quote = await self._quote(client)
        self._check(quote.estimated_cost, quote.row_count, balance, confirm)
        self._started(journal, balance)  # from here on `csv-enrich runs` lists it
        journal.set(self.run_id, "task_estimate", quote.estimated_cost)
        self.estimated = quote.estimated_cost
        intent = {"quote_id": quote.quote_id, "cost": quote.estimated_cost,
                  "count": quote.row_count, "at": time.time()}
        journal.set(self.run_id, "task_intent", intent)
        credits = "credit" if quote.estimated_cost == 1 else "credits"
        self.say(f"Quote: up to {quote.estimated_cost:,} {credits} for {quote.row_count:,} "
                 f"{self.kind} entities; enriching the cohort", total=quote.row_count)
        try:
            run = await self._by_task(client, quote.quote_id)
        except (errors.RequestRejectedError, errors.InsufficientCreditsError):
            journal.forget(self.run_id, "task_intent")  # refused as sent: nothing ran
            raise
        except (errors.ServerError, errors.TransportError) as exc:
            if isinstance(exc, errors.TransportError) and exc.code == "not_sent":
                journal.forget(self.run_id, "task_intent")
                raise
            answer = await self._resend(client, journal, intent)
            if answer is None:
                raise
            return answer
        return self._answered(journal, run)

    async def _by_task(self, client: CleanlistClient, quote_id: str) -> CohortRun:
        return await client.enrich_by_task(
            self.job.task_id, self.points, quote_id=quote_id, entity_ids=self.job.entity_ids,
            lead_list_id=self.job.lead_list_id if self.kind == "person" else None)

    async def _resend(self, client: CleanlistClient, journal: Journal,
                      intent: dict[str, Any]) -> dict[str, Any] | None:
        """An intent without an answer: send the same single-use quote again. The answer, or
        None when the quote is refused as stale (it was never redeemed, so nothing ran)."""
        self.estimated = int(intent["cost"])
        try:
            return self._answered(journal, await self._by_task(client, str(intent["quote_id"])))
        except errors.QuoteError as exc:
            if exc.code == "quote_already_used" or exc.status == 409:
                return await self._lost(client, journal, intent)
            journal.forget(self.run_id, "task_intent")
            return None
        except (errors.RequestRejectedError, errors.InsufficientCreditsError):
            journal.forget(self.run_id, "task_intent")  # refused as sent: nothing ran
            raise

    async def _lost(self, client: CleanlistClient, journal: Journal,
                    intent: dict[str, Any]) -> dict[str, Any]:
        """The cohort ran but its answer was lost: a person run is found through the task's
        handle (the status endpoint resolves it to the workflow bound at dispatch)."""
        cost = int(intent["cost"])
        if self.kind == "company":
            answer: dict[str, Any] = {"kind": "company", "cost": cost, "lost": True,
                                      "entities": list(self.job.entity_ids or ())}
        else:
            st = await client.status(self.job.task_id)
            if st.enrichment_type not in (None, self.etype) or st.total not in (
                    None, intent.get("count", st.total)):
                raise errors.ServerError(LOST_OTHER.format(task=self.job.task_id))
            answer = {"kind": "person", "workflow_id": st.workflow_id, "reserved": cost,
                      "list_id": st.lead_list_id or self.job.lead_list_id,
                      "entities": list(self.job.entity_ids) if self.job.entity_ids else None}
        journal.set(self.run_id, "task_answer", answer)
        return answer

    def _answered(self, journal: Journal, run: CohortRun) -> dict[str, Any]:
        """Journal the answer the moment it arrives (company results as outcomes)."""
        ids = [e.entity_id for e in run.entities]
        if run.entity_kind == "company":
            outcomes = company_outcomes(run.entities, run.credits_reserved)
            journal.record_outcomes(self.run_id, outcomes)
            answer: dict[str, Any] = {"kind": "company", "cost": run.credits_reserved,
                                      "entities": ids}
        else:
            answer = {"kind": "person", "workflow_id": run.workflow_id,
                      "reserved": run.credits_reserved, "list_id": self.job.lead_list_id,
                      "entities": ids}
        journal.set(self.run_id, "task_answer", answer)
        return answer

    async def _quote(self, client: CleanlistClient) -> Any:
        try:
            return await client.estimate_cohort(self.job.task_id, self.kind, self.points,
                                                self.job.entity_ids)
        except errors.NotFoundError:
            raise errors.UsageError(
                f"Task {self.job.task_id!r} was not found or has expired (cohort handles are "
                "time-limited); read the leads page or run the search again for a fresh "
                "task_id.") from None
        except errors.RequestRejectedError as exc:
            problem = str(exc.details.get("problem") or exc.message)
            raise errors.UsageError(f"The API refused this cohort: {problem} Nothing was "
                                    "spent.") from None

    def _check(self, cost: int, count: int, balance: int, confirm: ConfirmCallback | None,
               ) -> None:
        cap = self.job.max_credits
        if cap is not None and cost > cap:
            raise errors.CreditsError(
                f"Enriching this cohort can cost up to {cost:,} credits, over --max-credits "
                f"{cap:,}. Raise --max-credits, or pick fewer with --entity-ids.")
        if cost > balance:
            raise errors.CreditsError(
                f"Enriching this cohort can cost up to {cost:,} credits but the balance is "
                f"{balance:,} (short by {cost - balance:,}). Top up, or pick fewer with "
                "--entity-ids.")
        if confirm is not None and not confirm(self._plan(count, cost), balance):
            raise errors.Interrupted("Stopped before spending anything.")

    def _plan(self, count: int, cost: int, ids: Sequence[str] = ()) -> Plan:
        keys = tuple(ids) or tuple(f"entity {n + 1}" for n in range(count))
        return Plan(kind=self.kind, enrichment_type=self.etype,
                    mode="bulk" if self.kind == "person" else "sync", row_keys=keys,
                    identities=tuple(Identity(self.kind, k) for k in keys), cached={},
                    duplicates=0, estimated_max=cost, run_id=self.run_id)

    # -- after the answer ------------------------------------------------------------------

    def _company_done(self, journal: Journal, answer: dict[str, Any]) -> CohortDone:
        items = journal.items(self.run_id)
        ids = list(answer["entities"]) or list(items)
        outcomes = {k: o for k, i in items.items() if (o := i.outcome) is not None}
        if answer.get("lost"):
            self.warnings.append(LOST_COMPANY)
            outcomes = {k: Outcome(k, "failed", note=LOST_COMPANY) for k in ids}
        return CohortDone("sync", ids, outcomes, (), int(answer["cost"]), None)

    async def _person_done(self, client: CleanlistClient, journal: Journal,
                           answer: dict[str, Any]) -> CohortDone:
        reserved = int(answer["reserved"])
        status = await self._wait(client, str(answer["workflow_id"]))
        record = workflow_record(status, reserved)
        journal.record_workflow(self.run_id, record)
        list_id = status.lead_list_id or answer.get("list_id") or ""
        self.say("reading the enriched leads back", requests=client.stats.requests)
        leads = await read_leads(client, list_id) if list_id else {}
        ids = answer.get("entities")
        if ids is None:
            self.warnings.append(LOST.format(list_id=list_id))
            ids = list(leads)
        outcomes = person_outcomes(ids, leads, status, self.etype)
        journal.record_outcomes(self.run_id, list(outcomes.values()))
        self.list_id = list_id
        self.warnings += row_warnings(ids, leads, status, outcomes, list_id)
        return CohortDone("bulk", list(ids), outcomes, (record,), reserved, status)

    async def _wait(self, client: CleanlistClient, workflow_id: str) -> WorkflowStatus:
        return await wait_workflow(client, workflow_id, self.tuning, self._tick)

    def _tick(self, st: WorkflowStatus, requests: int) -> None:
        self.say(f"cohort running at the API: {st.progress or 0}% done",
                 done=st.processed or 0, total=st.total or 0,
                 credits=st.credits_charged or 0, requests=requests)

    # -- output ----------------------------------------------------------------------------

    def _write(self, done: CohortDone, started: datetime, charged_before: int) -> Report:
        table = cohort_table(self.job.task_id, done.ids)
        plan = self._plan(len(done.ids), self.estimated or done.reserved, done.ids)
        rows = [done.outcomes.get(k) or Outcome(k, "failed", note="no result for this entity")
                for k in done.ids]
        result = RunResult(
            mode=done.mode, outcomes={o.key: o for o in rows}, workflows=done.workflows,
            requests=done.stats.requests if done.stats else 0,
            retries=done.stats.retries if done.stats else 0,
            rate_limited=done.stats.rate_limited if done.stats else 0,
            credits_reserved=done.reserved, balance_before=done.balance_before,
            balance_after=done.balance_after, warnings=tuple(self.warnings),
            resumed=done.resumed)
        options = EnrichOptions(input=Path(self.job.task_id), output=self.job.output,
                                report=self.job.report_path, kind=self.kind,
                                enrichment_type=self.etype, max_credits=self.job.max_credits,
                                connection=self.connection)
        report = build_report(options=options, table=table, plan=plan, result=result,
                              rows=rows, output=self.job.output, started_at=started,
                              finished_at=datetime.now(UTC), notes=self._notes(done),
                              report_path=self.job.report_path, charged_before=charged_before)
        written = write_output(table, self.kind, rows, self.job.output, report=report,
                               bom=self.job.bom)
        report = with_notes(report, written)
        save_report(report, self.job.report_path)
        return report

    def _notes(self, done: CohortDone) -> list[str]:
        what = f"{len(done.ids):,} {self.kind} entities, data points {', '.join(self.points)}"
        notes = [f"Cohort {self.job.task_id}: {what}."]
        if self.kind == "person" and self.list_id:
            notes.append(f"The enriched leads are in lead list {self.list_id}.")
        if self.kind == "company":
            notes.append("Company cohorts cost about 1 credit per 10 companies found; the "
                         "credits are spread over the rows found so the column adds up.")
        return notes
