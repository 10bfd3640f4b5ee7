"""`csv-enrich task`: cohorts end to end through the CLI against the sandbox, money checked
against the sandbox's ledger."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
from openpyxl import load_workbook

from csv_enrich.models import COMPANY_COLUMNS, PERSON_COLUMNS
from csv_enrich.sandbox import SandboxServer
from tests.cohort_helpers import (
    api,
    balance,
    by_task_calls,
    company_cohort,
    person_cohort,
    rows_of,
    run,
)


def test_person_cohort_lands_in_mcp_results_and_matches_the_ledger(
        fast_sandbox: SandboxServer, tmp_path: Path, state_dir: Path) -> None:
    """Email+Phone is full (11 a lead); results land in "MCP Results"; every entity gets a row;
    the report's credits equal what the sandbox settled and the balance moved by."""
    task, leads = person_cohort(fast_sandbox, 6)
    before = balance(fast_sandbox)
    out = tmp_path / "cohort.csv"
    result = run(["task", task, "-o", str(out), "--data-points", "Email,Phone", "--yes",
                  "--state-dir", str(state_dir)], fast_sandbox)
    assert result.exit_code == 0, result.output
    rows = rows_of(out)
    assert [r["entity_id"] for r in rows] == leads
    assert list(rows[0]) == ["entity_id", *PERSON_COLUMNS]
    assert {r["enrichment_status"] for r in rows} <= {"enriched", "not_found"}
    assert any(r["enriched_email"] for r in rows)
    report = json.loads((tmp_path / "cohort.report.json").read_text())
    ledger = fast_sandbox.ledger()
    (wf,) = report["workflows"]
    settled = sum(c["credits"] for c in ledger["charges"] if c["workflow_id"] == wf["workflow_id"])
    assert report["enrichment_type"] == "full"
    assert report["credits"]["estimated_max"] == report["credits"]["reserved"] == 11 * 6
    assert report["credits"]["charged"] == settled == before - balance(fast_sandbox)
    assert sum(int(r["enrichment_credits"]) for r in rows) == settled
    with api(fast_sandbox) as c:
        names = {lst["name"]: lst["list_id"] for lst in c.get("/lead-lists").json()["lists"]}
        status = c.get(f"/enrichment/status/{wf['workflow_id']}").json()
    assert status["lead_list_id"] == names["MCP Results"]


@pytest.mark.parametrize(("points", "etype", "price"), [
    ("Phone", "phone_only", 10), ("email", "partial", 1), ("LinkedIn", "partial", 1)])
def test_data_points_decide_type_and_price(fast_sandbox: SandboxServer, tmp_path: Path,
                                           state_dir: Path, points: str, etype: str,
                                           price: int) -> None:
    """Phone alone is phone_only (10 a lead); anything without Phone is partial (1)."""
    task, leads = person_cohort(fast_sandbox, 3, f"type-{points}")
    with api(fast_sandbox) as c:
        target = c.post("/lead-lists", json={"name": "mine"}).json()["list_id"]
    out = tmp_path / "t.csv"
    result = run(["task", task, "-o", str(out), "--data-points", points, "--yes",
                  "--lead-list-id", target, "--state-dir", str(state_dir)], fast_sandbox)
    assert result.exit_code == 0, result.output
    report = json.loads((tmp_path / "t.report.json").read_text())
    assert (report["enrichment_type"], report["credits"]["reserved"]) == (etype, price * 3)
    with api(fast_sandbox) as c:
        in_list = [ld["lead_id"] for ld in c.get(f"/lead-lists/{target}/leads").json()["leads"]]
    assert in_list == leads


def test_company_cohort_is_written_inline_to_xlsx(fast_sandbox: SandboxServer, tmp_path: Path,
                                                  state_dir: Path) -> None:
    """A company cohort answers at once: one row per company, a Summary sheet, the report beside
    it, and about 1 credit per 10 companies found, as the ledger says."""
    domains = [f"firm{i}.com" for i in range(14)] + ["nobody.invalid"]
    task = company_cohort(fast_sandbox, domains)
    before = balance(fast_sandbox)
    out = tmp_path / "firms.xlsx"
    result = run(["task", task, "-o", str(out), "--data-points", "Industry,Employees",
                  "--max-credits", "5", "--state-dir", str(state_dir)], fast_sandbox)
    assert result.exit_code == 0, result.output
    book = load_workbook(out, read_only=True)
    assert book.sheetnames == [task[:31], "Summary"]
    sheet = list(book[task[:31]].iter_rows(values_only=True))
    assert sheet[0] == ("entity_id", *COMPANY_COLUMNS)
    assert [r[0] for r in sheet[1:]] == domains
    status = {r[0]: r[len(COMPANY_COLUMNS) - 2] for r in sheet[1:]}
    found = sum(s == "enriched" for s in status.values())
    assert status["nobody.invalid"] == "not_found"
    report = json.loads((tmp_path / "firms.report.json").read_text())
    charged = sum(c["credits"] for c in fast_sandbox.ledger()["charges"])
    assert report["credits"]["charged"] == charged == math.ceil(found / 10)
    assert before - balance(fast_sandbox) == charged
    assert sum(int(r[-1]) for r in sheet[1:]) == charged


@pytest.mark.parametrize(("extra", "says"), [
    (["--data-points", "Industry"], "data_points for a person task"),
    (["--data-points", "Email", "--entity-ids", "lead_nope"], "belong to the task's cohort"),
    (["--data-points", "Email", "--entity-ids", "ALL"], "strict subset"),
    (["--data-points", "Email,Industry"], "mixes Email (person cohorts) and Industry"),
    (["--data-points", "Emails"], "'Emails' is not a data point"),
    (["--data-points", "Email", "--entity-ids", ","], "--entity-ids is empty"),
])
def test_refused_cohorts_cost_nothing_and_say_why_in_one_line(
        fast_sandbox: SandboxServer, tmp_path: Path, state_dir: Path, extra: list[str],
        says: str) -> None:
    """Data points of the wrong kind, ids outside the cohort or all of it, unknown points: exit
    2, one line, no traceback, nothing charged and no output."""
    task, leads = person_cohort(fast_sandbox, 3)
    extra = [",".join(leads) if x == "ALL" else x for x in extra]
    before = balance(fast_sandbox)
    out = tmp_path / "no.csv"
    result = run(["task", task, "-o", str(out), "--yes", "--state-dir", str(state_dir),
                  *extra], fast_sandbox)
    assert result.exit_code == 2, result.output
    (line,) = [ln for ln in result.output.splitlines() if ln.startswith("csv-enrich:")]
    assert says in line
    assert "Traceback" not in result.output
    assert balance(fast_sandbox) == before
    assert by_task_calls(fast_sandbox) == 0
    assert not out.exists()


def test_unknown_task_is_one_line(fast_sandbox: SandboxServer, tmp_path: Path,
                                  state_dir: Path) -> None:
    """A task id the API does not know: exit 2, says how to get a fresh one."""
    result = run(["task", "cl-task_nope", "-o", str(tmp_path / "x.csv"), "--data-points",
                  "Email", "--yes", "--state-dir", str(state_dir)], fast_sandbox)
    assert result.exit_code == 2
    assert "not found or has expired" in result.output


def test_quote_over_the_cap_or_without_consent_spends_nothing(
        fast_sandbox: SandboxServer, tmp_path: Path, state_dir: Path) -> None:
    """Over --max-credits: exit 3 naming the quote; off a terminal without --yes or a cap: exit
    3. No by-task call either way, and the run that is then allowed is a fresh one."""
    task, _ = person_cohort(fast_sandbox, 4)
    args = ["task", task, "-o", str(tmp_path / "x.csv"), "--data-points", "Email,Phone",
            "--state-dir", str(state_dir)]
    capped = run([*args, "--max-credits", "43"], fast_sandbox)
    assert capped.exit_code == 3
    assert "up to 44 credits, over --max-credits 43" in capped.output
    unasked = run(args, fast_sandbox)
    assert unasked.exit_code == 3
    assert "--max-credits N" in unasked.output
    assert by_task_calls(fast_sandbox) == 0
    allowed = run([*args, "--max-credits", "44"], fast_sandbox)
    assert allowed.exit_code == 0, allowed.output
    report = json.loads((tmp_path / "x.report.json").read_text())
    assert report["resumed"] is False  # the refusals before it spent nothing and resumed nothing
    assert report["credits"]["charged_now"] == report["credits"]["charged"]


def test_lost_answer_and_a_crash_never_pay_twice(fast_sandbox: SandboxServer, tmp_path: Path,
                                                 state_dir: Path) -> None:
    """The by-task answer is lost and the check fails too (exit 5): the intent is journaled,
    so the rerun finds the workflow that ran instead of paying for the cohort again."""
    task, leads = person_cohort(fast_sandbox, 5)
    fast_sandbox.state.faults.forced.extend(["none", "none", "lost_answer", "drop"])
    args = ["task", task, "-o", str(tmp_path / "c.csv"), "--data-points", "Email", "--yes",
            "--state-dir", str(state_dir)]
    first = run(args, fast_sandbox)
    assert first.exit_code == 5, first.output
    again = run(args, fast_sandbox)
    assert again.exit_code == 0, again.output
    ledger = fast_sandbox.ledger()
    paid = [r for r in ledger["requests"] if r["path"].endswith("/enrichment/by-task")]
    charges = [c["identity"] for c in ledger["charges"]]
    assert len(charges) == len(set(charges))
    assert len({s["workflow_id"] for s in ledger["settlements"]}) == 1
    assert len(paid) == 3  # lost, dropped, and the resend that proves it ran
    report = json.loads((tmp_path / "c.report.json").read_text())
    assert report["credits"]["charged"] == sum(c["credits"] for c in ledger["charges"])
    assert [r["entity_id"] for r in rows_of(tmp_path / "c.csv")] == leads


def test_rerun_of_a_finished_cohort_spends_nothing(fast_sandbox: SandboxServer, tmp_path: Path,
                                                   state_dir: Path) -> None:
    """The same command again writes the same results from the journal and the list, free."""
    task = company_cohort(fast_sandbox, ["stripe.com", "figma.com", "nobody.invalid"])
    args = ["task", task, "-o", str(tmp_path / "f.csv"), "--data-points", "Industry", "--yes",
            "--state-dir", str(state_dir)]
    assert run(args, fast_sandbox).exit_code == 0
    first = (tmp_path / "f.csv").read_text()
    before = balance(fast_sandbox)
    again = run(args, fast_sandbox)
    assert again.exit_code == 0, again.output
    assert balance(fast_sandbox) == before
    assert by_task_calls(fast_sandbox) == 1
    assert (tmp_path / "f.csv").read_text() == first
    assert json.loads((tmp_path / "f.report.json").read_text())["resumed"] is True
    report = json.loads((tmp_path / "f.report.json").read_text())
    assert report["credits"]["charged_now"] == 0
    # QA: the summary said "resumed run: includes credits paid before the interruption" of a
    # run nobody interrupted; it says the run was complete and nothing was spent now.
    assert "already complete: nothing was spent now" in again.output
    assert "interruption" not in again.output
    assert report["already_complete"] is True
