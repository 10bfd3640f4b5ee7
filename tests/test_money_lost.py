"""Money you can audit under lost answers (issue 10): through the CLI against a real sandbox,
with faults only at the transport edge (a request that never reaches the server, or an answer
lost after the server did the work), the reports add up to the sandbox ledger and each report's
workflow list matches the sandbox's settlements."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from click.testing import CliRunner

import csv_enrich.engine.run as engine_run
from csv_enrich.cli.commands import main
from csv_enrich.engine.context import Tuning
from csv_enrich.engine.legacy import UNDECIDED
from csv_enrich.engine.rows import UNMATCHED
from csv_enrich.sandbox import SandboxConfig, SandboxServer
from csv_enrich.sandbox.data import person_identity, person_record
from tests.test_money import Books, notes

pytestmark = pytest.mark.slow  # sequences of whole CLI runs against the sandbox

# The CLI's waits for a lost answer (20 s for the list to show it, the list and balance to be
# still) shortened; what is decided, and how, stays the same.
QUICK = Tuning(lost_answer_wait_s=0.6, first_poll_s=0.05, min_poll_s=0.02, max_poll_s=0.5,
               bulk_first_poll_s=0.05)


@dataclass
class Edge:
    """The transport edge: the next requests whose path ends with `suffix` are, in turn, lost
    after the work ("lost"), never sent ("unsent") or let through (None). `then` runs when a
    planned fault fires (e.g. the account spends elsewhere at that moment)."""

    suffix: str = ""
    plan: list[str | None] = field(default_factory=list)
    then: Any = None

    def arm(self, suffix: str, *plan: str | None) -> None:
        self.suffix, self.plan = suffix, list(plan)


@pytest.fixture
def edge(monkeypatch: pytest.MonkeyPatch) -> Edge:
    """Faults at the transport edge of every client the CLI makes, and the short waits."""
    rig = Edge()
    real = httpx.AsyncHTTPTransport.handle_async_request

    async def handle(self: httpx.AsyncHTTPTransport, request: httpx.Request) -> httpx.Response:
        fault = None
        if rig.plan and rig.suffix and request.url.path.endswith(rig.suffix):
            fault = rig.plan.pop(0)
        if fault is not None and rig.then is not None:
            rig.then()
        if fault == "unsent":  # the connection broke while the request was written
            raise httpx.ReadError("connection broke", request=request)
        response = await real(self, request)
        if fault == "lost":
            await response.aread()
            await response.aclose()
            raise httpx.ReadError("answer lost after the work was done", request=request)
        return response

    monkeypatch.setattr(httpx.AsyncHTTPTransport, "handle_async_request", handle)
    monkeypatch.setattr(engine_run, "Tuning", lambda: QUICK)
    return rig


@pytest.fixture
def legacy_sandbox() -> Iterator[SandboxServer]:
    """CSV import off (real accounts: the legacy bulk path), fast workflows, no limits."""
    config = SandboxConfig(credits=100_000, time_scale=0.001, rate_limit_per_min=100_000,
                           org_rate_limit_per_min=100_000, csv_import=False)
    with SandboxServer(config) as server:
        yield server


def team(tmp_path: Path, n: int = 20) -> Path:
    """People the legacy endpoint takes: names + company, and LinkedIn URLs."""
    source = tmp_path / "team.csv"
    source.write_text("First Name,Last Name,Company,LinkedIn URL\n" + "".join(
        f"Pat{i},Quinn{i},Firm{i % 3},\n" for i in range(n // 2)) + "".join(
        f",,,linkedin.com/in/slug-{i}\n" for i in range(n - n // 2)))
    return source


def settled(server: SandboxServer) -> list[dict[str, Any]]:
    settlements: list[dict[str, Any]] = server.ledger()["settlements"]
    return settlements


def listed(books: Books) -> list[dict[str, Any]]:
    """Every workflow the reports list, each run's last report counted once."""
    last = {r["run_id"]: r for r in books.reports}
    return [w for r in last.values() for w in r["workflows"]]


def check_workflows(books: Books) -> None:
    """The reports' workflow lists match the sandbox's settlements: as many, same charges."""
    ours, theirs = listed(books), settled(books.server)
    assert len(ours) == len(theirs), ([w["workflow_id"] for w in ours],
                                      [s["workflow_id"] for s in theirs])
    assert sorted(w["credits_charged"] for w in ours) == sorted(s["charged"] for s in theirs)
    known = {s["workflow_id"] for s in theirs}
    real = [w["workflow_id"] for w in ours if "id lost" not in w["workflow_id"]]
    assert set(real) <= known


def bulk_posts(server: SandboxServer) -> int:
    return sum(1 for r in server.ledger()["requests"] if r["path"].endswith("/enrich/bulk"))


@pytest.mark.parametrize("fault", ["unsent", "lost"])
def test_lost_legacy_batch_of_people_already_in_the_list(
        legacy_sandbox: SandboxServer, tmp_path: Path, edge: Edge, fault: str) -> None:
    """Acceptance: everybody of the lost batch was in the protected list from an earlier run,
    which proves nothing. A batch that never reached the API is sent again and paid once (the
    report claimed credits nobody charged); one lost after the work is read from the list: the
    reports add up to the ledger and list the workflows the sandbox settled."""
    books = Books(legacy_sandbox, tmp_path)
    source = team(tmp_path)
    first = books.run(source, "--mode", "legacy")
    assert first["credits"]["charged"] > 0
    edge.arm("/enrich/bulk", fault)
    second = books.run(source, "--mode", "legacy", "--refresh")
    assert second["credits"]["charged"] > 0
    assert second["lost_answers"] == {"untraced": 0, "undecided": 0}
    assert bulk_posts(legacy_sandbox) == 2  # the first run's, and one in the second
    books.check()
    check_workflows(books)


@pytest.mark.parametrize("fault", ["unsent", "lost"])
def test_lost_legacy_batch_at_another_type_of_people_already_in_the_list(
        legacy_sandbox: SandboxServer, tmp_path: Path, edge: Edge, fault: str) -> None:
    """Phones after a partial run, the batch's answer lost: the leads show no phone when the
    batch never reached the API, so it would have cost nothing, which the balance cannot tell
    from not having run: it is sent again (had it run, it found nothing) and counted as an
    untraced lost answer; lost after the work, the phones it bought are read from the list."""
    books = Books(legacy_sandbox, tmp_path)
    source = team(tmp_path)
    books.run(source, "--mode", "legacy")
    edge.arm("/enrich/bulk", fault)
    second = books.run(source, "--mode", "legacy", "--type", "phone_only")
    assert second["credits"]["charged"] > 0
    untraced = 1 if fault == "unsent" else 0
    assert second["lost_answers"] == {"untraced": untraced, "undecided": 0}
    assert bulk_posts(legacy_sandbox) == 2
    books.check()
    check_workflows(books)


def test_lost_legacy_batch_that_cannot_be_told_is_reported_not_claimed(
        legacy_sandbox: SandboxServer, tmp_path: Path, edge: Edge) -> None:
    """The batch never reached the API, its people were all in the list already, and the
    account spent elsewhere meanwhile, so the balance cannot tell either: no credits claimed,
    nothing resent, each row says so, the report counts it and warns with the figure."""
    books = Books(legacy_sandbox, tmp_path)
    source = team(tmp_path)
    books.run(source, "--mode", "legacy")
    state = legacy_sandbox.state

    def spend_elsewhere() -> None:
        with state.lock:
            state.orgs["org_sandbox"].balance -= 3

    edge.arm("/enrich/bulk", "unsent")
    edge.then = spend_elsewhere
    second = books.run(source, "--mode", "legacy", "--refresh", code=1)
    assert second["credits"]["charged"] == second["credits"]["charged_now"] == 0
    assert second["lost_answers"] == {"untraced": 0, "undecided": 1}
    assert any("neither the protected list nor the balance" in w for w in second["warnings"])
    assert notes(tmp_path / "out2.csv")[UNDECIDED.format(n=1)] == 20
    assert bulk_posts(legacy_sandbox) == 1  # nothing resent
    books.check()
    check_workflows(books)


@pytest.fixture
def rows_sandbox() -> Iterator[SandboxServer]:
    config = SandboxConfig(credits=100_000, time_scale=0.001, rate_limit_per_min=100_000,
                           org_rate_limit_per_min=100_000)
    with SandboxServer(config) as server:
        yield server


def nobody(n: int) -> list[str]:
    """`n` emails the sandbox finds nothing for (their leads then hold no email to match)."""
    found = []
    for i in range(1000):
        email = f"zz{i}@nowhere{i % 4}.io"
        if person_record(person_identity({"email": email}), {"email": email})["email"] is None:
            found.append(email)
    return found[:n]


def test_rows_lost_answers_for_the_same_person_in_two_runs_each_listed(
        rows_sandbox: SandboxServer, tmp_path: Path, edge: Edge) -> None:
    """QA: the answer for the same person lost in two runs (a file, then --refresh): the second
    run's lost workflow took the first's name, was refused as another run's, and its report
    was one workflow and its credits short."""
    source = tmp_path / "few.csv"
    source.write_text("Email,First Name,Last Name,Company\n" + "".join(
        f"p{i}.q{i}@firm{i % 3}.io,Pat{i},Quinn{i},Firm{i % 3}\n" for i in range(4)))
    books = Books(rows_sandbox, tmp_path)
    for extra in ((), ("--refresh",)):
        edge.arm("/enrichment/person", "lost")
        books.run(source, "--mode", "rows", *extra)
    books.check()
    check_workflows(books)


def test_rows_lost_answers_no_lead_tells_apart_still_list_their_workflows(
        rows_sandbox: SandboxServer, tmp_path: Path, edge: Edge) -> None:
    """Three answers lost: one after the API started a workflow that found nothing (its lead
    holds no email to match), two that never reached it. Which row the one lead belongs to
    cannot be told, so no row is sent again, but the workflow it started is in the report's
    list (it settled at 0), as in the sandbox's settlements."""
    source = tmp_path / "emails.csv"
    source.write_text("Email\n" + "".join(f"{e}\n" for e in nobody(8)))
    books = Books(rows_sandbox, tmp_path)
    edge.arm("/enrichment/person", "lost", "unsent", "unsent")
    report = books.run(source, "--mode", "rows", code=1)
    assert notes(tmp_path / "out1.csv")[UNMATCHED] == 3
    assert report["lost_answers"] == {"untraced": 0, "undecided": 0}
    books.check()
    check_workflows(books)


def test_rows_lost_answer_with_no_trace_is_sent_again_and_counted(
        rows_sandbox: SandboxServer, tmp_path: Path, edge: Edge) -> None:
    """A submission that never reached the API leaves no lead: it is sent again, and the
    report counts it as a lost answer the API showed no trace of (a real API that started it
    and found nothing may leave no lead either: then that workflow is what the count is)."""
    source = tmp_path / "emails.csv"
    source.write_text("Email\n" + "".join(f"{e}\n" for e in nobody(3)) + "ann@acme.io\n")
    books = Books(rows_sandbox, tmp_path)
    edge.arm("/enrichment/person", "unsent")
    report = books.run(source, "--mode", "rows")
    assert report["lost_answers"] == {"untraced": 1, "undecided": 0}
    assert any("left no trace" in n for n in report["notes"])
    assert {r["status"] for r in rows_sandbox.ledger()["requests"]
            if r["path"].endswith("/enrichment/person")} == {200}
    books.check()
    check_workflows(books)


def test_lost_answer_counts_are_the_runs_across_its_resumes(
        rows_sandbox: SandboxServer, tmp_path: Path, edge: Edge,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """The count of lost answers is the run's, like its credits: an untraced lost answer in an
    invocation that stopped before its report (the API unreachable at the end) is still in the
    report of the resume under the same run_id (it was 0 there: the resume lost nothing)."""
    source = tmp_path / "emails.csv"
    source.write_text("Email\n" + "".join(f"{e}\n" for e in nobody(3)) + "ann@acme.io\n")
    edge.arm("/enrichment/person", "unsent")
    down = {"balance": False}
    inner = httpx.AsyncHTTPTransport.handle_async_request

    async def handle(self: httpx.AsyncHTTPTransport, request: httpx.Request) -> httpx.Response:
        if down["balance"] and request.url.path.endswith("/credits/balance"):
            raise httpx.ConnectError("connection refused", request=request)
        if request.url.path.endswith("/enrichment/person"):
            down["balance"] = True  # the balance read after the run fails
        return await inner(self, request)

    monkeypatch.setattr(httpx.AsyncHTTPTransport, "handle_async_request", handle)
    env = {"CLEANLIST_API_KEY": rows_sandbox.api_key, "CLEANLIST_BASE_URL": rows_sandbox.base_url}
    stopped = CliRunner().invoke(main, [str(source), "-o", str(tmp_path / "out0.csv"), "--yes",
                                        "--mode", "rows", "--rate-limit", "6000", "--state-dir",
                                        str(tmp_path / "state")], env=env)
    assert stopped.exit_code == 5, stopped.output  # no answer: nothing written, run unfinished
    assert not (tmp_path / "out0.report.json").exists()
    down["balance"] = False
    monkeypatch.setattr(httpx.AsyncHTTPTransport, "handle_async_request", inner)
    books = Books(rows_sandbox, tmp_path)
    resumed = books.run(source, "--mode", "rows")
    assert resumed["resumed"]
    assert resumed["lost_answers"] == {"untraced": 1, "undecided": 0}
    assert any("across its resumes" in n and "left no trace" in n for n in resumed["notes"])
    assert "Lost answers: 1 submission(s) of this run (across its resumes)" in books.said
    books.check()
    check_workflows(books)


def phones(n: int) -> list[str]:
    """`n` emails the sandbox finds a phone for."""
    found = []
    for i in range(1000):
        email = f"pat{i}.quinn@firm{i % 5}.io"
        if person_record(person_identity({"email": email}), {"email": email})["phone"]:
            found.append(email)
    return found[:n]


def test_rows_lost_answers_that_found_something_untold_still_add_up_per_row(
        rows_sandbox: SandboxServer, tmp_path: Path, edge: Edge) -> None:
    """Two answers lost after the work, phones only: the leads show a phone but neither the
    email sent, so which row each is cannot be told. The credits they cost are carried by the
    group's first row (the other points to it), not 'unattributed': the row column adds up to
    the run's credits.charged, and both workflows are listed."""
    source = tmp_path / "emails.csv"
    emails = phones(4)
    source.write_text("Email\n" + "".join(f"{e}\n" for e in emails))
    books = Books(rows_sandbox, tmp_path)
    edge.arm("/enrichment/person", "lost", "lost")
    report = books.run(source, "--mode", "rows", "--type", "phone_only", "--concurrency", "1",
                       code=1)
    assert "unattributed" not in report["credits"]["by_outcome"]
    assert report["credits"]["by_outcome"]["failed"] == 20
    with (tmp_path / "out1.csv").open(newline="", encoding="utf-8-sig") as fh:
        out = list(csv.DictReader(fh))
    failed = [(n + 2, r) for n, r in enumerate(out) if r["enrichment_status"] == "failed"]
    assert [r["enrichment_credits"] for _, r in failed] == ["20", "0"]
    assert "this row carries the 20 credit(s)" in failed[0][1]["enrichment_note"]
    assert f"counted on row {failed[0][0]}" in failed[1][1]["enrichment_note"]
    assert not any(r["enriched_phone"] for _, r in failed)  # whose phone it is is not told
    assert books.check() == report["credits"]["charged"] == 40
    check_workflows(books)
