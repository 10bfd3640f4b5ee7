"""The cost report: what a run did to each row and what it cost, derived from settled figures.

Credits charged are never estimated: for async runs they are the sum of the workflows'
settled ``credits_charged``; for synchronous company calls the sum of the outcomes' credits.
"Saved" is what the cache, duplicates and invalid rows kept off the bill:

* cache and duplicates: what the API charges for the same result again (pay for results:
  1 per email found, 10 per phone found, 1 per company found), or what was paid this run;
* invalid rows: the list price per row (the most each could have cost), so "up to".
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import Any

from csv_enrich.models import (
    EMAIL_PRICE,
    PHONE_PRICE,
    ROW_STATUSES,
    EnrichmentType,
    EnrichOptions,
    Invalid,
    Kind,
    Mode,
    Outcome,
    Plan,
    RunResult,
    WorkflowRecord,
    identity_keys,
    price,
)
from csv_enrich.read.table import Table

SCHEMA = "csv-enrich/report@1"
UNTRACED = ("{n:,} submission(s) of this run (across its resumes) whose answer was lost left no "
            "trace at the API (no lead in the list) and were sent again; had the API started "
            "one, it found nothing and charged nothing, but its workflow is not in this report's "
            "list (lost_answers.untraced)")
UNDECIDED = ("{n:,} legacy batch(es) of this run (across its resumes) whose answer was lost "
             "cannot be told to have run or not; no credits are claimed for them "
             "(lost_answers.undecided; see the warnings)")
DERIVED = ("Credits of the legacy bulk run are worked out from its results at the documented "
           "prices (email 1, phone 10): the API reports no settlement for legacy runs.")


@dataclass(frozen=True)
class RowCounts:
    """Rows by what happened to them; the five statuses add up to `total`.

    `cached` counts identities served from the cache, `submitted` identities sent to the API,
    `duplicate` rows that repeat an earlier row (paid for once). `not_data` counts the rows
    that are not leads (empty rows, report footers), kept in the output but not in `total`.
    `past_limit` counts the rows not sent because of --limit (kept in the output, counted
    under `skipped`).
    """

    total: int = 0
    valid: int = 0
    invalid: int = 0
    duplicate: int = 0
    cached: int = 0
    submitted: int = 0
    enriched: int = 0
    not_found: int = 0
    failed: int = 0
    skipped: int = 0
    not_data: int = 0
    past_limit: int = 0


@dataclass(frozen=True)
class Credits:
    """The money: reserved and settled by the API, and the balance around the run.

    `charged` is what the API charged for this run across its resumes (one `run_id`);
    `charged_now` what this invocation added to it (summed over invocations, or taking each
    run's last `charged`, both give what the API charged). `held_for_review` is the unused
    reservation of failed runs that charged (refund_status pending_review): neither refunded
    nor charged until Cleanlist reviews it.
    """

    estimated_max: int = 0
    reserved: int = 0
    charged: int = 0
    refunded: int = 0
    balance_before: int | None = None
    balance_after: int | None = None
    held_for_review: int = 0
    charged_now: int = 0


@dataclass(frozen=True)
class Savings:
    """Credits not spent thanks to the cache, duplicates and invalid rows not sent."""

    cache: int = 0
    duplicates: int = 0
    invalid: int = 0

    @property
    def total(self) -> int:
        return self.cache + self.duplicates + self.invalid


@dataclass(frozen=True)
class ApiCounts:
    """Requests made to the API, how many were retries and how many were answered 429."""

    requests: int = 0
    retries: int = 0
    rate_limited: int = 0


@dataclass(frozen=True)
class Report:
    """One run's report, schema ``csv-enrich/report@1``. Build it with `build_report`."""

    input: str
    output: str
    report: str
    kind: Kind
    enrichment_type: EnrichmentType
    mode: Mode
    rows: RowCounts
    credits: Credits
    api: ApiCounts
    started_at: datetime
    finished_at: datetime
    workflows: tuple[WorkflowRecord, ...] = ()
    credits_by_outcome: Mapping[str, int] = field(default_factory=dict)
    saved: Savings = Savings()
    warnings: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()
    run_id: str = ""
    resumed: bool = False
    interrupted: bool = False
    lost_untraced: int = 0  # submissions whose answer was lost and of which the API shows no
    lost_undecided: int = 0  # trace; legacy batches that cannot be told to have run or not

    @property
    def already_complete(self) -> bool:
        """A resumed run that spent nothing now: it had finished before (a replay)."""
        c = self.credits
        return self.resumed and c.balance_before is not None and c.balance_before == c.balance_after

    @property
    def duration_s(self) -> float:
        return round((self.finished_at - self.started_at).total_seconds(), 3)


def default_report_path(output: Path) -> Path:
    """``<OUTPUT without suffix>.report.json``, next to the output."""
    return output.with_name(f"{output.stem}.report.json")


def build_report(
    *,
    options: EnrichOptions,
    table: Table,
    plan: Plan,
    result: RunResult,
    rows: Sequence[Outcome],
    output: Path,
    started_at: datetime,
    finished_at: datetime,
    notes: Sequence[str] = (),
    report_path: Path | None = None,
    charged_before: int = 0,
    interrupted: bool = False,
) -> Report:
    """Put together the report of a run from the plan, what the engine settled and the joined
    rows (one Outcome per data row, as `write.join` returns them). `charged_before` is what the
    run's previous report claimed (0 for a new run), so `charged_now` is this invocation's."""
    charged = _charged(result)
    return Report(
        input=str(options.input if options.input else table.path),
        output=str(output),
        report=str(report_path or options.report or default_report_path(output)),
        kind=plan.kind,
        enrichment_type=plan.enrichment_type,
        mode=result.mode,
        rows=_row_counts(plan, result, rows),
        credits=replace(_credits(plan, result, charged), charged_now=charged - charged_before),
        api=ApiCounts(result.requests, result.retries, result.rate_limited),
        started_at=started_at,
        finished_at=finished_at,
        workflows=tuple(result.workflows),
        credits_by_outcome=_by_outcome(result, charged),
        saved=_savings(plan, result),
        warnings=tuple(result.warnings) + _refund_warnings(result.workflows),
        notes=tuple(dict.fromkeys((*table.notes, *notes,
                                   *((DERIVED,) if result.mode == "legacy" else ()),
                                   *_lost_notes(result)))),
        run_id=plan.run_id,
        resumed=bool(getattr(result, "resumed", False)),
        interrupted=interrupted,
        lost_untraced=result.lost_untraced,
        lost_undecided=result.lost_undecided,
    )


def _lost_notes(result: RunResult) -> tuple[str, ...]:
    """What the report cannot show of submissions whose answer was lost."""
    return tuple(text.format(n=n) for text, n in ((UNTRACED, result.lost_untraced),
                                                  (UNDECIDED, result.lost_undecided)) if n)


def with_notes(report: Report, notes: Sequence[str]) -> Report:
    """The report with more notes (e.g. those `write_output` returns), each once."""
    return replace(report, notes=tuple(dict.fromkeys((*report.notes, *notes))))


def _charged(result: RunResult) -> int:
    """What the API settled: the outcomes of sync calls, the workflows of async runs."""
    if result.mode == "sync":
        return sum(o.credits for o in result.outcomes.values())
    return sum(w.credits_charged for w in result.workflows)


def _credits(plan: Plan, result: RunResult, charged: int) -> Credits:
    reserved = result.credits_reserved or sum(w.credits_reserved for w in result.workflows)
    return Credits(
        estimated_max=plan.estimated_max if plan.run_max is None else plan.run_max,
        reserved=reserved,
        charged=charged,
        refunded=sum(w.credits_refunded for w in result.workflows),
        balance_before=result.balance_before,
        balance_after=result.balance_after,
        held_for_review=sum(
            max(0, w.credits_reserved - w.credits_charged - w.credits_refunded)
            for w in result.workflows
            if w.refund_status == "pending_review"
        ),
    )


def _row_counts(plan: Plan, result: RunResult, rows: Sequence[Outcome]) -> RowCounts:
    statuses = Counter(o.status for o in rows)
    outcomes = result.outcomes
    return RowCounts(
        total=plan.total,
        valid=plan.valid_count,
        duplicate=plan.duplicates,
        cached=sum(1 for k in plan.row_keys if isinstance(k, str) and _from_cache(k, plan, result)),
        submitted=sum(1 for k in identity_keys(plan.identities)
                      if (o := outcomes.get(k)) is not None and o.status != "skipped"),
        **{s: statuses[s] for s in ROW_STATUSES},
        not_data=plan.not_data_count,
        past_limit=plan.not_sent_count,
    )


def _from_cache(key: str, plan: Plan, result: RunResult) -> bool:
    return key in plan.cached and key not in result.outcomes


def _by_outcome(result: RunResult, charged: int) -> dict[str, int]:
    """Credits by row status; what the API charged but no outcome carries is 'unattributed'."""
    totals = dict.fromkeys(("enriched", "not_found", "failed"), 0)
    for outcome in result.outcomes.values():
        totals[outcome.status] = totals.get(outcome.status, 0) + outcome.credits
    if (rest := charged - sum(totals.values())) != 0:
        totals["unattributed"] = rest
    return totals


def worth(outcome: Outcome, kind: Kind, enrichment_type: EnrichmentType) -> int:
    """What the API charges for this result at this type (pay for results: 1 per email found,
    10 per phone found, 1 per company found; nothing for not found)."""
    if outcome.status != "enriched":
        return 0
    if kind == "company":
        return price(kind, enrichment_type)
    email = EMAIL_PRICE if outcome.data.get("email") and enrichment_type != "phone_only" else 0
    phone = PHONE_PRICE if outcome.data.get("phone") and enrichment_type != "partial" else 0
    return email + phone


def _savings(plan: Plan, result: RunResult) -> Savings:
    def value(key: str) -> int:
        if (paid := result.outcomes.get(key)) is not None:
            return paid.credits or worth(paid, plan.kind, plan.enrichment_type)
        hit = plan.cached.get(key)
        return worth(hit, plan.kind, plan.enrichment_type) if hit else 0

    cache = sum(value(k) for k in plan.cached if k not in result.outcomes)
    # the part of a person the cache knew (the email, for a --type full run): not bought again
    cache += sum(worth(known, plan.kind, plan.enrichment_type) for known in plan.prefill.values())
    duplicates = sum(value(key) for key in _repeats(plan.row_keys))
    invalid = plan.invalid_count * price(plan.kind, plan.enrichment_type)
    return Savings(cache=cache, duplicates=duplicates, invalid=invalid)


def _repeats(row_keys: Sequence[str | Invalid]) -> Iterator[str]:
    """The identity key of each row that repeats an earlier row's (each repeat once), found in
    the keys sorted (a list of references, not a set of 100k keys)."""
    before: str | None = None
    for key in sorted(k for k in row_keys if not isinstance(k, Invalid)):
        if key == before:
            yield key
        before = key


def _refund_warnings(workflows: Sequence[WorkflowRecord]) -> tuple[str, ...]:
    return tuple(
        f"Workflow {w.workflow_id} {w.status} with {w.credits_charged} credits charged and no "
        f"automatic refund (refund_status pending_review): {w.refund_message or 'no message'}"
        for w in workflows
        if w.refund_status == "pending_review"
    )


def report_dict(report: Report) -> dict[str, Any]:
    """The JSON document of the report (stable keys of schema csv-enrich/report@1 first)."""
    credits = vars(report.credits)
    return {
        "schema": SCHEMA,
        "input": report.input,
        "output": report.output,
        "kind": report.kind,
        "enrichment_type": report.enrichment_type,
        "mode": report.mode,
        "rows": dict(vars(report.rows)),
        "credits": {**credits, "by_outcome": dict(report.credits_by_outcome)},
        "api": dict(vars(report.api)),
        "workflows": [_workflow_dict(w) for w in report.workflows],
        "started_at": report.started_at.isoformat(),
        "finished_at": report.finished_at.isoformat(),
        "duration_s": report.duration_s,
        "report": report.report,
        "saved": {**vars(report.saved), "total": report.saved.total},
        "warnings": list(report.warnings),
        "notes": list(report.notes),
        "run_id": report.run_id,
        "resumed": report.resumed,
        "already_complete": report.already_complete,
        "interrupted": report.interrupted,
        "lost_answers": {"untraced": report.lost_untraced, "undecided": report.lost_undecided},
    }


def _workflow_dict(w: WorkflowRecord) -> dict[str, Any]:
    return {
        "workflow_id": w.workflow_id,
        "status": w.status,
        "credits_reserved": w.credits_reserved,
        "credits_charged": w.credits_charged,
        "credits_refunded": w.credits_refunded,
        "refund_status": w.refund_status,
        "refund_message": w.refund_message,
    }
