"""The XLSX "Summary" sheet: the cost report in words and numbers, then the workflows.

Labels are text cells and figures number cells, so finance can check the sums; workflows
awaiting a refund review come first, and at most WORKFLOWS_SHOWN are listed (one per person in
rows mode); the report JSON has them all.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from csv_enrich.output.words import summary_lines
from csv_enrich.report import Report

WORKFLOWS_SHOWN = 1_000
FIRST_TITLE = "In short"
SUMMARY_MARK = "Charged (settled by the API)"  # a label that tells our Summary sheet apart
_WORKFLOW_HEADERS = (
    "Workflow",
    "Status",
    "Reserved",
    "Charged",
    "Refunded",
    "Refund status",
    "Refund message",
)


def write_summary(sheet: Any, report: Report, *, title: Any, header: Any) -> None:
    """Fill `sheet` with the report: titled sections of labelled values, then the workflows."""
    sheet.set_column(0, 0, 50)
    sheet.set_column(1, 1, 36)
    row = 0
    for name, lines in summary_table(report):
        if lines:
            row = _write_section(sheet, row, name, lines, title) + 1
    _write_workflows(sheet, row, report, title, header)


def _write_section(
    sheet: Any, row: int, name: str, lines: Sequence[tuple[str, object]], title: Any
) -> int:
    sheet.write_string(row, 0, name, title)
    for label, value in lines:
        row += 1
        sheet.write_string(row, 0, label)
        if isinstance(value, int | float) and not isinstance(value, bool):
            sheet.write_number(row, 1, value)
        elif isinstance(value, str):
            sheet.write_string(row, 1, value)
    return row + 1


def _write_workflows(sheet: Any, row: int, report: Report, title: Any, header: Any) -> None:
    if not report.workflows:
        return
    sheet.write_string(row, 0, "Workflows", title)
    for j, name in enumerate(_WORKFLOW_HEADERS):
        sheet.write_string(row + 1, j, name, header)
    shown = sorted(report.workflows, key=lambda w: w.refund_status != "pending_review")
    for i, w in enumerate(shown[:WORKFLOWS_SHOWN], start=row + 2):
        sheet.write_string(i, 0, w.workflow_id)
        sheet.write_string(i, 1, w.status)
        for j, n in enumerate((w.credits_reserved, w.credits_charged, w.credits_refunded), 2):
            sheet.write_number(i, j, n)
        for j, text in enumerate((w.refund_status, w.refund_message), 5):
            if text:
                sheet.write_string(i, j, text)
    if (more := len(shown) - WORKFLOWS_SHOWN) > 0:
        sheet.write_string(
            row + 2 + WORKFLOWS_SHOWN, 0, f"... and {more:,} more in the report JSON"
        )


def summary_name(taken: Sequence[str]) -> str:
    used = {t.casefold() for t in taken}
    names = ("Summary", "csv-enrich summary", *(f"Summary {n}" for n in range(2, len(used) + 3)))
    return next(n for n in names if n.casefold() not in used)


# -- the content ---------------------------------------------------------------------------


Line = tuple[str, str | int | float | None]


def summary_table(report: Report) -> list[tuple[str, list[Line]]]:
    """The report as titled sections of (label, value) lines, for the XLSX "Summary" sheet."""
    rows, saved, api = report.rows, report.saved, report.api
    return [
        (FIRST_TITLE, [(line, None) for line in summary_lines(report)]),
        ("Run", _run_section(report)),
        ("Rows", [(label, getattr(rows, key)) for key, label in _ROW_LABELS]
         + ([("Of those skipped: past --limit (kept, not sent)", rows.past_limit)]
            if rows.past_limit else [])
         + ([("Empty or footer rows (kept, not leads)", rows.not_data)] if rows.not_data
            else [])),  # fmt: skip
        ("Credits", _credit_section(report)),
        (
            "Saved",
            [
                ("Thanks to the cache", saved.cache),
                ("Thanks to duplicates", saved.duplicates),
                ("Invalid rows not sent (up to)", saved.invalid),
                ("Total", saved.total),
            ],
        ),
        (
            "API",
            [
                ("Requests", api.requests),
                ("Retries", api.retries),
                ("Rate-limited (429)", api.rate_limited),
            ],
        ),
        ("Warnings", [(w, None) for w in report.warnings]),
        ("Notes", [(n, None) for n in report.notes]),
    ]


def _run_section(report: Report) -> list[Line]:
    return [
        ("Run id", report.run_id),
        ("Resumed (figures include what was paid before)", "yes" if report.resumed else "no"),
        ("Input", report.input),
        ("Output", report.output),
        ("Report", report.report),
        ("Kind", report.kind),
        ("Enrichment type", report.enrichment_type),
        ("Mode", report.mode),
        ("Started", report.started_at.isoformat()),
        ("Finished", report.finished_at.isoformat()),
        ("Duration (seconds)", report.duration_s),
    ]


def _credit_section(report: Report) -> list[Line]:
    c = report.credits
    return [
        ("Most it could have cost (estimate)", c.estimated_max),
        ("Reserved by the API", c.reserved),
        (SUMMARY_MARK, c.charged),
        ("Refunded", c.refunded),
        ("Held pending review (failed runs)", c.held_for_review),
        ("Balance before", c.balance_before),
        ("Balance after", c.balance_after),
        *((_charged_label(k), v) for k, v in report.credits_by_outcome.items()),
    ]


def _charged_label(status: str) -> str:
    if status == "unattributed":
        return "Charged but not attributed to a row"
    return f"Charged for {status.replace('_', ' ')} rows"


_ROW_LABELS = (
    ("total", "Total"),
    ("enriched", "Enriched"),
    ("not_found", "Not found"),
    ("invalid", "Invalid (not sent)"),
    ("failed", "Failed"),
    ("skipped", "Skipped"),
    ("duplicate", "Duplicates (paid once)"),
    ("cached", "From the cache (free)"),
    ("submitted", "Sent to the API"),
)
