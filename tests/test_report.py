"""report.py: figures derived from what the API settled, the JSON document, the summary lines."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import jsonschema
import polars as pl
import pytest
from hypothesis import given
from hypothesis import strategies as st

from csv_enrich.errors import OutputError
from csv_enrich.models import (
    Connection,
    EnrichmentType,
    EnrichOptions,
    Identity,
    Invalid,
    Kind,
    Mode,
    Outcome,
    Plan,
    RunResult,
    WorkflowRecord,
    columns_for,
)
from csv_enrich.output.atomic import write_report
from csv_enrich.output.headers import appended_headers
from csv_enrich.output.words import summary_lines
from csv_enrich.output.write import join, write_output
from csv_enrich.output.xlsx_summary import summary_table
from csv_enrich.read import Table
from csv_enrich.report import (
    UNDECIDED,
    UNTRACED,
    Report,
    build_report,
    default_report_path,
    report_dict,
    with_notes,
    worth,
)

KEY = "clapi_live_SECRET_1234567890"
START = datetime(2026, 11, 26, 14, 0, tzinfo=UTC)
NUMBER = {"type": "integer", "minimum": 0}
ROW_KEYS = (
    "total",
    "valid",
    "invalid",
    "duplicate",
    "cached",
    "submitted",
    "enriched",
    "not_found",
    "failed",
    "skipped",
)
CREDIT_KEYS = (
    "estimated_max",
    "reserved",
    "charged",
    "refunded",
    "balance_before",
    "balance_after",
)
WORKFLOW_KEYS = (
    "workflow_id",
    "status",
    "credits_reserved",
    "credits_charged",
    "credits_refunded",
    "refund_status",
)
# The report keys issue 2 made stable, in the order the JSON lists them.
STABLE_KEYS = [
    "schema",
    "input",
    "output",
    "kind",
    "enrichment_type",
    "mode",
    "rows",
    "credits",
    "api",
    "workflows",
    "started_at",
    "finished_at",
    "duration_s",
]

SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": [
        *STABLE_KEYS,
        "saved",
        "warnings",
    ],
    "properties": {
        "schema": {"const": "csv-enrich/report@1"},
        "kind": {"enum": ["person", "company"]},
        "enrichment_type": {"enum": ["partial", "phone_only", "full"]},
        "mode": {"enum": ["rows", "bulk", "sync"]},
        "rows": {
            "type": "object",
            "required": list(ROW_KEYS),
            "properties": dict.fromkeys(ROW_KEYS, NUMBER),
        },
        "credits": {
            "type": "object",
            "required": list(CREDIT_KEYS),
            "properties": {
                **dict.fromkeys(CREDIT_KEYS[:4], NUMBER),
                "balance_before": {"type": ["integer", "null"]},
                "balance_after": {"type": ["integer", "null"]},
                "by_outcome": {"type": "object", "additionalProperties": {"type": "integer"}},
            },
        },
        "api": {
            "type": "object",
            "required": ["requests", "retries", "rate_limited"],
            "properties": dict.fromkeys(("requests", "retries", "rate_limited"), NUMBER),
        },
        "workflows": {
            "type": "array",
            "items": {"type": "object", "required": list(WORKFLOW_KEYS)},
        },
        "started_at": {"type": "string", "format": "date-time"},
        "finished_at": {"type": "string", "format": "date-time"},
        "duration_s": {"type": "number", "minimum": 0},
        "saved": {"type": "object", "required": ["cache", "duplicates", "invalid", "total"]},
        "warnings": {"type": "array", "items": {"type": "string"}},
    },
}

JANE = Outcome(
    "email:jane@acme.io",
    "enriched",
    credits=11,
    workflow_id="enrich-1",
    data={"email": "jane@acme.io", "phone": "+14155550142"},
)
BOB = Outcome(
    "email:bob@b.io", "enriched", credits=1, workflow_id="enrich-2", data={"email": "bob@b.io"}
)
NOBODY = Outcome("email:x@y.io", "not_found", workflow_id="enrich-3")
CACHED = Outcome(
    "email:cached@c.io", "enriched", credits=0, data={"email": "c@c.io", "phone": "+44201234567"}
)
WORKFLOWS = (
    WorkflowRecord("enrich-1", "completed", 11, 11, 0, "not_applicable"),
    WorkflowRecord("enrich-2", "completed", 11, 1, 10, "not_applicable"),
    WorkflowRecord("enrich-3", "completed", 11, 0, 11, "not_applicable"),
)


def make_table(rows: int) -> Table:
    """A one-column input of `rows` rows."""
    frame = pl.DataFrame({"Email": [f"r{i}" for i in range(rows)]})
    return Table(
        path=Path("leads.csv"),
        format="csv",
        frame=frame,
        headers=("Email",),
        source_rows=tuple(range(2, rows + 2)),
        notes=("delimiter: comma",),
    )


def make_report(
    row_keys: Sequence[str | Invalid],
    outcomes: Mapping[str, Outcome],
    *,
    cached: Mapping[str, Outcome] | None = None,
    workflows: Sequence[WorkflowRecord] = WORKFLOWS,
    mode: Mode = "rows",
    kind: Kind = "person",
    enrichment_type: EnrichmentType = "full",
    **result: Any,
) -> Report:
    """Plan, run result and joined rows for these row keys, then the report of them."""
    cached = cached or {}
    unique = dict.fromkeys(k for k in row_keys if isinstance(k, str))
    plan = Plan(
        kind=kind,
        enrichment_type=enrichment_type,
        mode=mode,
        row_keys=tuple(row_keys),
        identities=tuple(Identity(kind, k) for k in unique if k not in cached),
        cached=cached,
        duplicates=sum(isinstance(k, str) for k in row_keys) - len(unique),
        estimated_max=11 * len(unique),
        run_id="run",
    )
    run = RunResult(mode=mode, outcomes=outcomes, workflows=tuple(workflows), **result)
    options = EnrichOptions(input=Path("leads.csv"), output=Path("out.xlsx"),
                            connection=Connection(api_key=KEY))
    return build_report(
        options=options,
        table=make_table(len(row_keys)),
        plan=plan,
        result=run,
        rows=join(plan, outcomes),
        output=Path("out.xlsx"),
        started_at=START,
        finished_at=datetime(2026, 11, 26, 14, 2, 3, 500000, tzinfo=UTC),
    )


def typical() -> Report:
    """Jane (11), Bob (1), nobody found, Jane again, an invalid row and a cached person."""
    keys = [JANE.key, BOB.key, NOBODY.key, JANE.key, Invalid("no identifier"), CACHED.key]
    return make_report(
        keys,
        {o.key: o for o in (JANE, BOB, NOBODY)},
        cached={CACHED.key: CACHED},
        requests=9,
        retries=1,
        rate_limited=1,
        credits_reserved=33,
        balance_before=500,
        balance_after=488,
    )


def test_credits_are_the_settled_figures() -> None:
    """Charged and refunded are the workflows' settled figures, not an estimate."""
    credits = typical().credits
    assert (credits.estimated_max, credits.reserved, credits.charged, credits.refunded) == (
        44,
        33,
        12,
        21,
    )
    assert (credits.balance_before, credits.balance_after) == (500, 488)


def test_sync_credits_come_from_the_outcomes() -> None:
    """For synchronous company calls, charged is the sum of the outcomes' settled credits."""
    acme = Outcome("domain:acme.io", "enriched", credits=1)
    gone = Outcome("domain:gone.io", "not_found", credits=0)
    report = make_report(
        [acme.key, gone.key, acme.key],
        {o.key: o for o in (acme, gone)},
        workflows=(),
        mode="sync",
        kind="company",
        enrichment_type="partial",
    )
    assert (report.credits.charged, report.credits.refunded, report.credits.reserved) == (1, 0, 0)
    assert report.saved.duplicates == 1


def test_rows_by_status_add_up() -> None:
    """The five statuses add up to the rows; duplicate, cached and submitted are counted apart."""
    rows = typical().rows
    assert (rows.total, rows.valid, rows.invalid, rows.duplicate) == (6, 5, 1, 1)
    assert (rows.cached, rows.submitted) == (1, 3)
    assert (rows.enriched, rows.not_found, rows.failed, rows.skipped) == (4, 1, 0, 0)
    assert rows.enriched + rows.not_found + rows.invalid + rows.failed + rows.skipped == rows.total


def test_credits_by_outcome() -> None:
    """Credits are split by what the row became; a mismatch with the bill is shown, not hidden."""
    assert typical().credits_by_outcome == {"enriched": 12, "not_found": 0, "failed": 0}
    lost = make_report(
        [JANE.key],
        {JANE.key: JANE},
        workflows=(WorkflowRecord("enrich-1", "completed", 11, 12, 0),),
    )
    assert lost.credits_by_outcome["unattributed"] == 1


def test_saved_by_cache_duplicates_and_invalid_rows() -> None:
    """Saved: the cached result's price, the duplicate's settled price, invalid rows at list."""
    saved = typical().saved
    assert (saved.cache, saved.duplicates, saved.invalid, saved.total) == (11, 11, 11, 33)


@pytest.mark.parametrize(
    ("enrichment_type", "data", "price"),
    [
        ("partial", {"email": "a@b.io"}, 1),
        ("partial", {"phone": "+1555"}, 0),
        ("phone_only", {"email": "a@b.io", "phone": "+1555"}, 10),
        ("full", {"email": "a@b.io"}, 1),
        ("full", {"email": "a@b.io", "phone": "+1555"}, 11),
    ],
)
def test_worth_is_pay_for_results(
    enrichment_type: EnrichmentType, data: dict[str, str], price: int
) -> None:
    """A cached result is worth what the API charges for what was found at this type."""
    assert worth(Outcome("k", "enriched", data=data), "person", enrichment_type) == price


def test_pending_review_is_a_warning_with_the_message_verbatim() -> None:
    """A workflow whose refund awaits review is surfaced with its refund_message as sent."""
    message = "Charged 11 credits for a failed run; support will review the refund within 2 days."
    review = WorkflowRecord("enrich-9", "failed", 22, 11, 0, "pending_review", message)
    report = make_report(
        [JANE.key], {JANE.key: JANE}, workflows=(review,), warnings=("2 rows failed after retries",)
    )
    assert report.warnings[0] == "2 rows failed after retries"
    assert message in report.warnings[1]
    assert "enrich-9" in report.warnings[1]
    assert any(message in line for line in summary_lines(report))
    assert report.credits.held_for_review == 11
    assert "11 held pending review" in summary_lines(report)[1]


def test_document_has_the_stable_keys() -> None:
    """The JSON document validates against the report@1 keys and round-trips through JSON."""
    doc = report_dict(typical())
    jsonschema.validate(doc, SCHEMA)
    assert list(doc)[:13] == STABLE_KEYS
    assert doc["duration_s"] == 123.5
    assert doc["api"] == {"requests": 9, "retries": 1, "rate_limited": 1}
    assert doc["workflows"][1] == {
        "workflow_id": "enrich-2",
        "status": "completed",
        "credits_reserved": 11,
        "credits_charged": 1,
        "credits_refunded": 10,
        "refund_status": "not_applicable",
        "refund_message": None,
    }
    assert json.loads(json.dumps(doc)) == doc


def test_key_never_in_report() -> None:
    """The API key appears nowhere in the document or the summary."""
    report = typical()
    assert KEY not in json.dumps(report_dict(report)) + "\n".join(summary_lines(report))
    assert KEY not in repr(report)


def test_notes_include_renamed_columns(tmp_path: Path) -> None:
    """The reader's notes and the renamed appended columns (which the writer names and reports)
    end up in the report's notes, in that order, as the runner puts them together."""
    table = make_table(1)
    table = Table(
        **{
            **vars(table),
            "headers": ("enrichment_note",),
            "frame": table.frame.rename({"Email": "enrichment_note"}),
        }
    )
    plan = Plan(
        kind="person",
        enrichment_type="partial",
        mode="rows",
        row_keys=(Invalid("x"),),
        identities=(),
        cached={},
        duplicates=0,
        estimated_max=0,
        run_id="r",
    )
    report = build_report(
        options=EnrichOptions(input=Path("i.csv")),
        table=table,
        plan=plan,
        result=RunResult(mode="rows", outcomes={}),
        rows=join(plan, {}),
        output=Path("o.csv"),
        started_at=START,
        finished_at=START,
        notes=["'Mail' mapped to email"],
    )
    report = with_notes(report, write_output(table, "person", join(plan, {}), tmp_path / "o.csv"))
    assert report.notes == (
        "delimiter: comma",
        "'Mail' mapped to email",
        "The input already has a column 'enrichment_note'; the new one is 'enrichment_note_2'.",
    )
    assert report.report == "o.report.json"


def test_summary_lines_read_at_a_glance() -> None:
    """Rows by status, credits charged and refunded, balance left, where the files are."""
    assert summary_lines(typical()) == [
        "Rows: 6 in all; 4 enriched, 1 not found, 1 invalid; 1 duplicate row shared an earlier "
        "row's result; 1 row from the cache",
        "Credits: 12 charged, 21 refunded of 33 reserved; 33 saved",
        "Balance: 488 left",
        "Output: out.xlsx",
        "Report: out.report.json",
    ]


def test_summary_lines_say_what_lost_answers_the_report_cannot_show() -> None:
    """The terminal and the XLSX Summary sheet say what the report's notes say of answers lost
    in transport (lost_answers), nothing when there were none."""
    lost = replace(typical(), lost_untraced=2, lost_undecided=1)
    lines = summary_lines(lost)
    said = [line for line in lines if line.startswith("Lost answers: ")]
    assert said == [f"Lost answers: {UNTRACED.format(n=2)}.",
                    f"Lost answers: {UNDECIDED.format(n=1)}."]
    assert lines.index(said[0]) < lines.index("Output: out.xlsx")
    sheet = [label for label, _ in summary_table(lost)[0][1]]
    assert set(said) <= set(sheet)
    assert not any("Lost answers" in line for line in summary_lines(typical()))


def test_report_names_its_run() -> None:
    """The JSON carries the run id; a fresh run is neither resumed nor already complete."""
    doc = report_dict(typical())
    assert (doc["run_id"], doc["resumed"], doc["already_complete"]) == ("run", False, False)
    assert not any(line.startswith("Run ") for line in summary_lines(typical()))


def test_resumed_and_replayed_runs_say_so() -> None:
    """A resumed run says its figures include what was paid before the interruption; a replay
    of a finished run says nothing was spent now, so finance does not count it twice."""
    keys = [JANE.key]
    resumed = make_report(keys, {JANE.key: JANE}, balance_before=500, balance_after=489,
                          resumed=True)  # fmt: skip
    assert summary_lines(resumed)[0] == (
        "Run run: resumed run: includes credits paid before the interruption."
    )
    assert report_dict(resumed)["resumed"] is True
    replay = make_report(keys, {JANE.key: JANE}, balance_before=489, balance_after=489,
                         resumed=True)  # fmt: skip
    assert summary_lines(replay)[0] == (
        "Run run: this run was already complete: nothing was spent now."
    )
    assert report_dict(replay)["already_complete"] is True


def test_sync_credits_line_reads_right() -> None:
    """A company (sync) run says what it charged for how many lookups, not "0 refunded of N
    reserved"."""
    found = Outcome("domain:acme.io", "enriched", credits=1, data={"name": "Acme"})
    lost = Outcome("domain:nobody.io", "not_found")
    report = make_report(
        [found.key, lost.key], {found.key: found, lost.key: lost}, workflows=(), mode="sync",
        kind="company", enrichment_type="partial", credits_reserved=1,
    )  # fmt: skip
    assert summary_lines(report)[1] == (
        "Credits: 1 charged for 2 lookups; not-found lookups are free"
    )


def test_default_report_path() -> None:
    """The report sits next to the output: OUTPUT without its suffix, plus .report.json."""
    assert default_report_path(Path("runs/enriched.v2.xlsx")) == Path(
        "runs/enriched.v2.report.json"
    )


def test_write_report_is_json_utf8_and_atomic(tmp_path: Path) -> None:
    """The report file is the document as UTF-8 JSON; no temp file is left beside it."""
    path = tmp_path / "out.report.json"
    path.write_text("old", encoding="utf-8")
    report = typical()
    write_report(report, path)
    assert json.loads(path.read_text(encoding="utf-8")) == json.loads(
        json.dumps(report_dict(report))
    )
    assert [p.name for p in tmp_path.iterdir()] == ["out.report.json"]


def test_cache_saving_is_priced_at_this_runs_type() -> None:
    """A result cached from a full run (11 paid) saves only what a partial run would pay (1)."""
    cached = Outcome(CACHED.key, "enriched", credits=11, data=CACHED.data)
    report = make_report(
        [CACHED.key], {}, cached={CACHED.key: cached}, workflows=(), enrichment_type="partial"
    )
    assert report.saved.cache == 1


CLASHING = [
    "enrichment_status",
    "Enrichment_Status",
    "enriched_email",
    "enriched_email_2",
    "ENRICHED_EMAIL_3",
    "enriched_domain",
    "Email",
    "Name",
]


@given(
    st.lists(st.sampled_from(CLASHING), max_size=8, unique=True),
    st.sampled_from(["person", "company"]),
)
def test_appended_names_never_clash(headers: list[str], kind: Kind) -> None:
    """Appended names never equal an input header or each other (ignoring case), keep their
    order and stem, and each renamed one has a note."""
    names, notes = appended_headers(headers, kind)
    folded = {n.casefold() for n in names}
    assert len(folded) == len(names)
    assert not folded & {h.casefold() for h in headers}
    wanted = columns_for(kind)
    assert [n if n in wanted else n.rsplit("_", 1)[0] for n in names] == list(wanted)
    assert len(notes) == sum(n not in wanted for n in names)


def test_report_to_a_missing_folder_is_an_output_error(tmp_path: Path) -> None:
    """A report that cannot be written is an OutputError naming the file, not a traceback."""
    with pytest.raises(OutputError, match=r"Could not write the report .*r\.json"):
        write_report(typical(), tmp_path / "gone" / "r.json")
