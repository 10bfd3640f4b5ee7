"""The output and the report of real runs (enrich_file against the sandbox over loopback HTTP)
agree with the sandbox ledger; an XLSX input keeps its other sheets and gains a Summary."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from sandbox_helpers import client_for

from csv_enrich.models import Connection, EnrichmentType, EnrichOptions, ModeChoice
from csv_enrich.report import Report, report_dict
from csv_enrich.runner import enrich_file
from csv_enrich.sandbox import SandboxConfig, SandboxServer
from tests.test_engine_helpers import FAST

SAMPLES = Path(__file__).resolve().parents[1] / "samples"


@pytest.fixture
def failing_sandbox() -> Iterator[SandboxServer]:
    """A sandbox where every async run fails halfway, after charging for what it found."""
    config = SandboxConfig(
        credits=100_000,
        time_scale=0.001,
        rate_limit_per_min=100_000,
        org_rate_limit_per_min=100_000,
        workflow_failure_rate=1.0,
    )
    with SandboxServer(config) as server:
        yield server


def run(
    server: SandboxServer,
    output: Path,
    state_dir: Path,
    *,
    mode: ModeChoice = "rows",
    enrichment_type: EnrichmentType = "partial",
) -> Report:
    """Enrich samples/leads.xlsx into `output` against `server`."""
    options = EnrichOptions(
        input=SAMPLES / "leads.xlsx",
        output=output,
        mode=mode,
        yes=True,
        enrichment_type=enrichment_type,
        connection=Connection(state_dir=state_dir, base_url=server.base_url,
                              api_key=server.api_key, rate_limit_per_min=6000),
    )
    return enrich_file(options, tuning=FAST)


def summary_pairs(path: Path) -> dict[Any, Any]:
    """Label -> value of the output's Summary sheet."""
    sheet = openpyxl.load_workbook(path)["Summary"]
    return {r[0].value: r[1].value for r in sheet.iter_rows(max_col=2) if r[0].value}


def test_xlsx_output_and_report_match_the_ledger(
    fast_sandbox: SandboxServer, tmp_path: Path, state_dir: Path
) -> None:
    """Credits in the report, the Summary sheet and the rows all equal what the sandbox settled."""
    out = tmp_path / "enriched.xlsx"
    report = run(fast_sandbox, out, state_dir)
    ledger = fast_sandbox.ledger()
    book = openpyxl.load_workbook(out)
    assert book.sheetnames == ["Leads", "Notes", "Summary"]
    leads = book["Leads"]
    header = [c.value for c in leads[1]]
    credits = [r[header.index("enrichment_credits")].value for r in leads.iter_rows(min_row=2)]
    assert len(credits) == report.rows.total == 25
    assert report.credits.charged == ledger["charged_total"] == sum(credits)
    assert summary_pairs(out)["Charged (settled by the API)"] == ledger["charged_total"]
    assert report.credits.balance_after == ledger["balance"]
    saved = json.loads((tmp_path / "enriched.report.json").read_text(encoding="utf-8"))
    assert saved == json.loads(json.dumps(report_dict(report)))


def test_failed_run_surfaces_the_refund_review(
    failing_sandbox: SandboxServer, tmp_path: Path, state_dir: Path
) -> None:
    """A bulk run that fails after charging is reported with the API's refund_message verbatim,
    and charged + held for review account for every credit that left the balance."""
    report = run(
        failing_sandbox, tmp_path / "out.xlsx", state_dir, mode="bulk", enrichment_type="full"
    )
    (settlement,) = failing_sandbox.ledger()["settlements"]
    with client_for(failing_sandbox) as client:
        status = client.get(f"/enrichment/status/{settlement['workflow_id']}").json()
    assert status["refund_status"] == "pending_review"
    assert any(status["refund_message"] in w for w in report.warnings)
    assert report.credits.charged == settlement["charged"]
    assert report.credits.held_for_review == settlement["held"]
    assert report.credits.balance_before is not None
    assert report.credits.balance_after is not None
    spent = report.credits.balance_before - report.credits.balance_after
    assert spent == report.credits.charged + report.credits.held_for_review
    pairs = summary_pairs(tmp_path / "out.xlsx")
    assert pairs["Held pending review (failed runs)"] == settlement["held"]
