"""The report in a few lines, as a person reads it: printed after a run (the CLI) and shown atop
the XLSX "Summary" sheet, so both say the same thing. Here rather than in the CLI because the
Summary sheet, written by this package, shows them too (and output sits below the CLI)."""

from __future__ import annotations

from csv_enrich.report import UNDECIDED, UNTRACED, Credits, Report, RowCounts


def summary_lines(report: Report) -> list[str]:
    """The few lines a person reads after a run: rows, credits, balance, where the files are."""
    return [
        *_run_line(report),
        _rows_line(report.rows),
        _credits_line(report),
        *_balance_line(report.credits),
        *_lost_lines(report),
        f"Output: {report.output}",
        f"Report: {report.report}",
        *(f"Warning: {w}" for w in report.warnings),
    ]


def _run_line(report: Report) -> list[str]:
    """Which run this is, when finance could otherwise count it twice."""
    if report.already_complete:
        return [f"Run {report.run_id}: this run was already complete: nothing was spent now."]
    if report.resumed:
        return [f"Run {report.run_id}: resumed run: includes credits paid before the interruption."]
    return []


def _rows_line(rows: RowCounts) -> str:
    parts = [f"{rows.enriched:,} enriched", f"{rows.not_found:,} not found"]
    parts += [f"{n:,} {s}" for s in ("invalid", "failed", "skipped") if (n := getattr(rows, s))]
    if rows.past_limit:
        parts[-1] += f" ({rows.past_limit:,} past --limit)"
    if rows.duplicate:
        parts[-1] += f"; {_rows(rows.duplicate, 'duplicate row')} shared an earlier row's result"
    if rows.cached:
        parts[-1] += f"; {_rows(rows.cached, 'row')} from the cache"
    kept = f" ({_rows(rows.not_data, 'empty or footer row')} kept apart)" if rows.not_data else ""
    return f"Rows: {rows.total:,} in all{kept}; {', '.join(parts)}"


def _rows(n: int, what: str) -> str:
    return f"{n:,} {what}" + ("" if n == 1 else "s")


def _credits_line(report: Report) -> str:
    c, saved = report.credits, report.saved
    if report.mode == "sync":
        line = f"Credits: {c.charged:,} charged for {_rows(report.rows.submitted, 'lookup')}"
        line += "; not-found lookups are free" if report.rows.not_found else ""
        return line + (f"; {saved.total:,} saved" if saved.total else "")
    if report.mode == "legacy":
        line = (f"Credits: {c.charged:,} charged (worked out from the results: the legacy API "
                "reports no settlement)")
        return line + (f"; {saved.total:,} saved" if saved.total else "")
    line = f"Credits: {c.charged:,} charged, {c.refunded:,} refunded of {c.reserved:,} reserved"
    line += f", {c.held_for_review:,} held pending review" if c.held_for_review else ""
    return line + (f"; {saved.total:,} saved" if saved.total else "")


def _lost_lines(report: Report) -> list[str]:
    """What the report cannot show of answers lost in transport (lost_answers), as it says it."""
    return [f"Lost answers: {text.format(n=n)}." for text, n in (
        (UNTRACED, report.lost_untraced), (UNDECIDED, report.lost_undecided)) if n]


def _balance_line(credits: Credits) -> list[str]:
    return [] if credits.balance_after is None else [f"Balance: {credits.balance_after:,} left"]
