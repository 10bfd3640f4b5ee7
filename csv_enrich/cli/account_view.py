"""Text and JSON views of a workflow's status and of past runs (the CLI prints them)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from csv_enrich.api.client import WorkflowStatus
    from csv_enrich.journal import PastRun

STATUS_KEYS = ("workflow_id", "status", "progress", "total", "processed", "completed", "failed",
               "enrichment_type", "lead_list_id", "summary", "credits_charged",
               "credits_refunded", "refund_status", "refund_message")


def status_dict(st: WorkflowStatus) -> dict[str, Any]:
    """The `status --json` document: every field of the API's answer csv-enrich reads."""
    return {k: dict(st.summary) if k == "summary" else getattr(st, k) for k in STATUS_KEYS}


def status_lines(st: WorkflowStatus) -> list[str]:
    """A workflow's state in a few lines."""
    progress = f" ({st.progress}%)" if st.progress is not None else ""
    lines = [f"Workflow {st.workflow_id}: {st.status}{progress}"]
    if st.total is not None:
        counts = [f"{n:,} {what}" for n, what in ((st.completed, "completed"),
                                                   (st.failed, "failed")) if n is not None]
        lines.append(f"Leads: {st.total:,} in all, {st.processed or 0:,} processed"
                     + (f" ({', '.join(counts)})" if counts else ""))
    detail = [f"type {st.enrichment_type}"] if st.enrichment_type else []
    detail += [f"list {st.lead_list_id}"] if st.lead_list_id else []
    detail += [f"{v:,} {k.replace('_', ' ')}" for k, v in st.summary.items()]
    if detail:
        lines.append("Details: " + ", ".join(detail))
    lines.append(_credits(st))
    if st.refund_status:
        message = f": {st.refund_message}" if st.refund_message else ""
        lines.append(f"Refund: {st.refund_status}{message}")
    return lines


def _credits(st: WorkflowStatus) -> str:
    if st.credits_charged is None and st.terminal:
        return ("Credits: none reported (a legacy run is charged per contact as it completes, "
                "not settled here)")
    if st.credits_charged is None:
        return "Credits: not settled yet (they settle when the workflow ends)"
    return (f"Credits: {st.credits_charged:,} charged, {st.credits_refunded or 0:,} refunded")


def _when(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%d %H:%M UTC")


def _credits_n(n: int) -> str:
    return f"{n:,} credit" + ("" if n == 1 else "s")


def _short(iso: str) -> str:
    """'2026-12-07T19:53:11.064775+00:00' -> '2026-12-07 19:53:11'."""
    return iso[:19].replace("T", " ")


def _rows(rows: dict[str, int] | Any) -> str:
    order = ("enriched", "not_found", "invalid", "failed", "skipped")
    parts = [f"{rows[s]:,} {s.replace('_', ' ')}" for s in order if rows.get(s)]
    return ", ".join(parts) or "no rows settled"


def run_dict(run: PastRun) -> dict[str, Any]:
    """One past run as JSON (`runs --json`)."""
    return {
        "run_id": run.run_id, "started_at": _iso(run.started_at),
        "last_started_at": _iso(run.last_started_at),
        "finished_at": _iso(run.finished_at) if run.finished_at else None,
        "state": "finished" if run.finished_at else "interrupted",
        "input": run.input, "output": run.output,
        "rows": {k: v for k, v in run.rows.items()
                 if k in ("total", "enriched", "not_found", "invalid", "failed", "skipped")},
        "credits_charged": run.credits_charged,
        "resume": None if run.finished_at else run.command,
    }


def _iso(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).isoformat(timespec="seconds")


def short_id(run_id: str) -> str:
    """How `runs` shows a run: its id's first 12 characters and its rerun number (`-2`)."""
    head, sep, n = run_id.partition("-")
    return head[:12] + sep + n


def runs_lines(runs: list[PastRun]) -> list[str]:
    """Past runs, latest first, two or three lines each."""
    if not runs:
        return ["No runs in the journal for this account yet."]
    lines: list[str] = []
    for run in runs:
        state = "finished" if run.finished_at else "interrupted"
        lines.append(f"{short_id(run.run_id)}  {_when(run.last_started_at)}  {state:<11}  "
                     f"{run.input} -> {run.output}")
        lines.append(f"    rows: {_rows(run.rows)}; {_credits_n(run.credits_charged)} charged")
        if not run.finished_at and run.command:
            lines.append(f"    resume with: {run.command}")
    return lines


def report_lines(run: PastRun) -> list[str]:
    """`runs show`: the finished run's report in words, or how to resume an unfinished one."""
    if run.report is None:
        return [f"Run {run.run_id} did not finish (interrupted); no report yet.",
                f"Rows so far: {_rows(run.rows)}; {_credits_n(run.credits_charged)} charged.",
                f"Resume with: {run.command}" if run.command else "Run the same command again."]
    doc, credits = run.report, run.report["credits"]
    lines = [f"Run {run.run_id} ({doc['kind']}, {doc['enrichment_type']}, {doc['mode']} mode), "
             f"{_short(doc['started_at'])} to {_short(doc['finished_at'])} UTC",
             f"Input: {doc['input']}", f"Output: {doc['output']}", f"Report: {doc['report']}",
             f"Rows: {doc['rows']['total']:,} in all; {_rows(doc['rows'])}",
             f"Credits: {credits['charged']:,} charged, {credits['refunded']:,} refunded of "
             f"{credits['reserved']:,} reserved (estimate up to {credits['estimated_max']:,})"]
    lines += [f"Workflow {w['workflow_id']}: {w['status']}, {w['credits_charged']:,} charged"
              for w in doc["workflows"]]
    return lines + [f"Warning: {w}" for w in doc["warnings"]]
