"""The report's credits equal what the sandbox ledger recorded, over real loopback HTTP.

The engine is not used here: the test talks to the sandbox itself (as the engine would), turns
its answers into Outcome and WorkflowRecord values, and checks the report and the written
output against the ledger.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import polars as pl
import pytest
from sandbox_helpers import client_for, new_list, wait_terminal

from csv_enrich.models import (
    EnrichOptions,
    Identity,
    Invalid,
    Outcome,
    Plan,
    RunResult,
    WorkflowRecord,
)
from csv_enrich.output.write import join, write_output
from csv_enrich.read import Table
from csv_enrich.report import build_report
from csv_enrich.sandbox import SandboxServer

EMAILS = [
    "jane@acme.io",
    "bob@example.com",
    "x1@nowhere.dev",
    "olivia.martin@harborfintech.com",
    "sam@lumen-robotics.ai",
]
DOMAINS = ["acme.io", "stripe.com", "northwindlogistics.com", "nonexistent.invalid", "vela.it"]


@pytest.fixture
def client(fast_sandbox: SandboxServer) -> Iterator[httpx.Client]:
    """An authenticated client on the fresh sandbox, closed afterwards."""
    with client_for(fast_sandbox) as http:
        yield http


def balance(client: httpx.Client) -> int:
    """The sandbox organisation's credit balance."""
    return int(client.get("/credits/balance").json()["credits"])


def enrich_person(client: httpx.Client, list_id: str, email: str) -> tuple[Outcome, WorkflowRecord]:
    """One full person enrichment, polled to the end, as an Outcome and a WorkflowRecord."""
    started = client.post(
        "/enrichment/person",
        json={"lead_list_id": list_id, "email": email, "enrichment_type": "full"},
    ).json()
    body = wait_terminal(client, started["workflow_id"])
    result: dict[str, Any] = body["result"] or {}
    data = {
        k: str(result[k])
        for k in ("email", "email_status", "phone", "linkedin_url", "full_name", "title", "company")
        if result.get(k)
    }
    found = bool(result.get("email") or result.get("phone"))
    outcome = Outcome(
        f"email:{email}",
        "enriched" if found else "not_found",
        credits=body["credits_charged"],
        data=data,
        workflow_id=body["workflow_id"],
    )
    record = WorkflowRecord(
        body["workflow_id"],
        body["status"],
        started["credits_reserved"],
        body["credits_charged"],
        body["credits_refunded"] or 0,
        body["refund_status"],
        body["refund_message"],
    )
    return outcome, record


def enrich_company(client: httpx.Client, domain: str) -> Outcome:
    """One synchronous company lookup as an Outcome (404 = not found, not charged)."""
    resp = client.post("/enrichment/company", json={"domain": domain})
    if resp.status_code == 404:
        return Outcome(f"domain:{domain}", "not_found")
    body = resp.json()
    data = {k: str(v) for k, v in body["company"].items() if v is not None}
    return Outcome(f"domain:{domain}", "enriched", credits=body["credits_charged"], data=data)


def table_of(column: str, values: list[str | None]) -> Table:
    """A one-column input table."""
    frame = pl.DataFrame({column: pl.Series(values, dtype=pl.String)})
    return Table(
        path=Path("in.csv"),
        format="csv",
        frame=frame,
        headers=(column,),
        source_rows=tuple(range(2, len(values) + 2)),
        delimiter=",",
    )


def plan_of(kind: str, row_keys: list[str | Invalid]) -> Plan:
    """A plan sending every distinct key once."""
    unique = list(dict.fromkeys(k for k in row_keys if isinstance(k, str)))
    return Plan(
        kind=kind,
        enrichment_type="full" if kind == "person" else "partial",  # type: ignore[arg-type]
        mode="rows" if kind == "person" else "sync",
        row_keys=tuple(row_keys),
        identities=tuple(Identity(kind, k) for k in unique),
        cached={},  # type: ignore[arg-type]
        duplicates=sum(isinstance(k, str) for k in row_keys) - len(unique),
        estimated_max=11 * len(unique),
        run_id="r",
    )


def credits_column(path: Path) -> int:
    """The sum of enrichment_credits in a written CSV."""
    return int(pl.read_csv(path, infer_schema=False)["enrichment_credits"].cast(int).sum())


def test_person_report_matches_the_ledger(
    fast_sandbox: SandboxServer, client: httpx.Client, tmp_path: Path
) -> None:
    """Charged, refunded and reserved in the report and the output equal the sandbox ledger."""
    before, list_id = balance(client), new_list(client)
    answers = [enrich_person(client, list_id, e) for e in EMAILS]
    after, ledger = balance(client), fast_sandbox.ledger()
    keys: list[str | Invalid] = [f"email:{e}" for e in EMAILS] + [
        f"email:{EMAILS[2]}",
        Invalid("no identifier"),
    ]
    plan = plan_of("person", keys)
    result = RunResult(
        mode="rows",
        outcomes={o.key: o for o, _ in answers},
        workflows=tuple(w for _, w in answers),
        credits_reserved=11 * len(EMAILS),
        balance_before=before,
        balance_after=after,
    )
    rows = join(plan, result.outcomes)
    output = tmp_path / "out.csv"
    write_output(table_of("Email", [*EMAILS, EMAILS[2], "n/a"]), "person", rows, output)
    report = build_report(
        options=EnrichOptions(input=Path("in.csv")),
        table=table_of("E", []),
        plan=plan,
        result=result,
        rows=rows,
        output=output,
        started_at=datetime.now(UTC),
        finished_at=datetime.now(UTC),
    )
    settled = ledger["settlements"]
    assert report.credits.charged == ledger["charged_total"] == before - after
    assert report.credits.charged == credits_column(output)
    assert report.credits.refunded == sum(s["refunded"] for s in settled)
    assert report.credits.reserved == sum(s["reserved"] for s in settled)
    assert sum(report.credits_by_outcome.values()) == ledger["charged_total"]


def test_company_report_matches_the_ledger(
    fast_sandbox: SandboxServer, client: httpx.Client, tmp_path: Path
) -> None:
    """For synchronous company calls the report's charge equals the ledger's, not-found free."""
    before = balance(client)
    outcomes = {o.key: o for o in (enrich_company(client, d) for d in DOMAINS)}
    after, ledger = balance(client), fast_sandbox.ledger()
    keys: list[str | Invalid] = [f"domain:{d}" for d in DOMAINS] + [f"domain:{DOMAINS[0]}"]
    plan = plan_of("company", keys)
    result = RunResult(mode="sync", outcomes=outcomes, balance_before=before, balance_after=after)
    rows = join(plan, outcomes)
    output = tmp_path / "out.csv"
    write_output(table_of("Domain", [*DOMAINS, DOMAINS[0]]), "company", rows, output)
    report = build_report(
        options=EnrichOptions(input=Path("in.csv")),
        table=table_of("D", []),
        plan=plan,
        result=result,
        rows=rows,
        output=output,
        started_at=datetime.now(UTC),
        finished_at=datetime.now(UTC),
    )
    assert report.credits.charged == ledger["charged_total"] == before - after
    assert report.credits.charged == credits_column(output)
    assert report.rows.enriched + report.rows.not_found == len(keys)
