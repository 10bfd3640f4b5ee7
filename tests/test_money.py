"""Money you can audit: over any sequence of runs, the reports and the row column add up to what
the sandbox ledger charged (issue 10), through the CLI against a real sandbox."""

from __future__ import annotations

import csv
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from csv_enrich.cli.commands import main
from csv_enrich.engine.prior import ADOPTED

pytestmark = pytest.mark.slow  # sequences of whole CLI runs against the sandbox

SAMPLES = Path(__file__).resolve().parents[1] / "samples"


class Books:
    """Every report of a sequence of runs, checked against the sandbox ledger."""

    def __init__(self, server: Any, tmp_path: Path) -> None:
        self.server, self.tmp = server, tmp_path
        self.reports: list[dict[str, Any]] = []
        self.n = 0
        self.said = ""

    def run(self, src: Path, *extra: str, code: int = 0) -> dict[str, Any]:
        """Enrich `src` into a fresh output; return its report (also kept for the totals)."""
        self.n += 1
        out = self.tmp / f"out{self.n}.csv"
        env = {"CLEANLIST_API_KEY": self.server.api_key,
               "CLEANLIST_BASE_URL": self.server.base_url}
        args = [str(src), "-o", str(out), "--yes", "--rate-limit", "6000", "--state-dir",
                str(self.tmp / "state"), *extra]
        result = CliRunner().invoke(main, args, env=env, catch_exceptions=False)
        assert result.exit_code == code, result.output
        self.said = result.output  # what the terminal showed (the summary lines)
        report: dict[str, Any] = json.loads(out.with_suffix(".report.json").read_text())
        report["_column"] = column_sum(out)
        self.reports.append(report)
        return report

    def check(self) -> int:
        """The invariants of issue 10; returns what the ledger charged."""
        charged = sum(c["credits"] for c in self.server.ledger()["charges"])
        last = {r["run_id"]: r["credits"]["charged"] for r in self.reports}
        assert sum(last.values()) == charged, (last, charged)
        assert sum(r["credits"]["charged_now"] for r in self.reports) == charged
        for r in self.reports:
            assert r["_column"] == r["credits"]["charged"], r["run_id"]
        return charged


def column_sum(path: Path) -> int:
    """The sum of the enrichment_credits column of a written CSV."""
    with path.open(newline="", encoding="utf-8-sig") as fh:
        return sum(int(row["enrichment_credits"] or 0) for row in csv.DictReader(fh))


@pytest.mark.parametrize("mode", ["rows", "bulk"])
def test_rerun_and_copy_of_a_finished_file_claim_nothing_paid_before(
        fast_sandbox: Any, tmp_path: Path, mode: str) -> None:
    """A finished file run again, and a copy of it under another name, are new runs: they pay
    nothing, claim nothing, and each row says where its result came from."""
    books = Books(fast_sandbox, tmp_path)
    first = books.run(SAMPLES / "leads.csv", "--mode", mode)
    assert first["credits"]["charged"] > 0
    again = books.run(SAMPLES / "leads.csv", "--mode", mode)
    copy = tmp_path / "copy of leads.csv"
    shutil.copy(SAMPLES / "leads.csv", copy)
    copied = books.run(copy, "--mode", mode)
    for later in (again, copied):
        assert later["run_id"] != first["run_id"]
        assert later["credits"]["charged"] == later["credits"]["charged_now"] == 0
        assert later["saved"]["cache"] > 0
    assert len({again["run_id"], copied["run_id"]}) == 2
    assert books.check() == first["credits"]["charged"]


def cli_process(server: Any, args: list[str]) -> subprocess.Popen[str]:
    """The CLI as a separate process (so it can get a real SIGINT)."""
    env = {**os.environ, "CLEANLIST_API_KEY": server.api_key,
           "CLEANLIST_BASE_URL": server.base_url}
    return subprocess.Popen([sys.executable, "-m", "csv_enrich", *args], env=env, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def interrupt(books: Books, src: Path, path: str, count: int, *extra: str) -> dict[str, Any]:
    """Run `src` and press Ctrl-C once the sandbox got `count` requests on `path`: exit 130,
    an output and a report marked interrupted (kept in the books)."""
    books.n += 1
    out = books.tmp / f"out{books.n}.csv"
    proc = cli_process(books.server, [str(src), "-o", str(out), "--yes", "--rate-limit", "6000",
                                      "--state-dir", str(books.tmp / "state"), *extra])
    deadline = time.monotonic() + 30
    while sum(r["path"].endswith(path) for r in books.server.ledger()["requests"]) < count:
        assert time.monotonic() < deadline, "nothing to interrupt"
        assert proc.poll() is None, "the run ended before it could be interrupted"
        time.sleep(0.02)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert "Traceback" not in err
    report: dict[str, Any] = json.loads(out.with_suffix(".report.json").read_text())
    assert report["interrupted"] is True
    report["_column"] = column_sum(out)
    books.reports.append(report)
    return report


@pytest.fixture
def slow_sandbox() -> Iterator[Any]:
    """Workflows that take a little real time, so a run can be interrupted in the middle."""
    from csv_enrich.sandbox import SandboxConfig, SandboxServer

    config = SandboxConfig(time_scale=0.2, rate_limit_per_min=100_000,
                           org_rate_limit_per_min=100_000)
    with SandboxServer(config) as server:
        yield server


@pytest.mark.parametrize(("mode", "path", "count"), [("rows", "/enrichment/person", 6),
                                                     ("bulk", "/enrichment/bulk", 1)])
def test_interrupted_run_collected_by_an_edited_file_then_resumed_claims_once(
        slow_sandbox: Any, tmp_path: Path, mode: str, path: str, count: int) -> None:
    """Ctrl-C mid-run writes a report marked interrupted; an edited file then collects what was
    in flight; the first file run again resumes its run: every credit is claimed once."""
    books = Books(slow_sandbox, tmp_path)
    first = interrupt(books, SAMPLES / "leads.csv", path, count, "--mode", mode)
    edited = tmp_path / "edited.csv"
    edited.write_text((SAMPLES / "leads.csv").read_text() + "Zoe,Quinn,zoe@quinn.io,,,,,,\n")
    assert estimate(books, edited, tmp_path / "state")["in_hand"] >= (
        count if mode == "rows" else 20)  # the first run's people, counted as paid
    books.run(edited, "--mode", mode)
    resumed = books.run(SAMPLES / "leads.csv", "--mode", mode)
    assert resumed["run_id"] == first["run_id"]
    assert any(note.startswith(ADOPTED) for note in notes(tmp_path / "out2.csv"))
    books.check()


@pytest.mark.parametrize("mode", ["rows", "bulk"])
def test_interrupted_then_resumed_reports_add_up(slow_sandbox: Any, tmp_path: Path,
                                                 mode: str) -> None:
    """Ctrl-C, then the same command: one run_id; the interrupted report claims what was
    settled by then, the resumed one the whole run; charged_now adds up to the ledger."""
    books = Books(slow_sandbox, tmp_path)
    path = "/enrichment/person" if mode == "rows" else "/enrichment/bulk"
    first = interrupt(books, SAMPLES / "leads.csv", path, 6 if mode == "rows" else 1,
                      "--mode", mode)
    whole = estimate(books, SAMPLES / "leads.csv", tmp_path / "elsewhere")
    left = estimate(books, SAMPLES / "leads.csv", tmp_path / "state")
    assert left["in_hand"] >= (6 if mode == "rows" else whole["credits"]["estimated_max"])
    assert left["credits"]["estimated_max"] == whole["credits"]["estimated_max"] - left["in_hand"]
    resumed = books.run(SAMPLES / "leads.csv", "--mode", mode)
    assert resumed["run_id"] == first["run_id"]
    assert resumed["resumed"]
    assert books.check() == resumed["credits"]["charged"] > 0
    # the resumed report states the run's estimate across its resumes, as charged is (it said
    # 0 while thousands were charged: acceptance)
    assert resumed["credits"]["estimated_max"] == whole["credits"]["estimated_max"]
    assert resumed["credits"]["estimated_max"] >= resumed["credits"]["charged"]


def notes(path: Path) -> Counter[str]:
    """How many rows of a written CSV carry each note."""
    with path.open(newline="", encoding="utf-8-sig") as fh:
        return Counter(row["enrichment_note"] for row in csv.DictReader(fh))


def test_two_rows_one_lead_in_bulk_the_column_adds_up(fast_sandbox: Any,
                                                      tmp_path: Path) -> None:
    """QA: rows that look like one person under different identities (an email, and a name with
    its company) are two leads at the API; each row carries its own lead's credits, so the
    column adds up to what the bulk run charged."""
    people = [("jane.doe", "Jane", "Doe", "Acme"), ("sam.lee", "Sam", "Lee", "Globex"),
              ("ann.ito", "Ann", "Ito", "Initech"), ("bo.kim", "Bo", "Kim", "Hooli")]
    lines = ["Email,First Name,Last Name,Company"]
    for handle, first, last, company in people:
        lines.append(f"{handle}@{company.lower()}.io,,,")
        lines.append(f",{first},{last},{company}")
    source = tmp_path / "people.csv"
    source.write_text("\n".join(lines) + "\n")
    books = Books(fast_sandbox, tmp_path)
    report = books.run(source, "--mode", "bulk", "--type", "full")
    assert report["credits"]["charged"] > 0
    books.check()


def person_posts(server: Any) -> int:
    """Person enrichments the sandbox accepted."""
    return sum(1 for r in server.ledger()["requests"]
               if r["path"].endswith("/enrichment/person") and r["status"] == 200)


@pytest.mark.parametrize("mode", ["rows", "bulk"])
def test_interrupted_then_rerun_with_another_map_pays_nobody_twice(
        slow_sandbox: Any, tmp_path: Path, mode: str) -> None:
    """QA: Ctrl-C, then the same file with --map 'Email=ignore' (people now keyed by name and
    company): what the first run bought or had in flight is found by name + company, so
    nobody is submitted twice, and the reports add up to the ledger."""
    source = tmp_path / "team.csv"
    source.write_text("Email,First Name,Last Name,Company\n" + "".join(
        f"p{n}.q{n}@firm{n % 3}.io,Pat{n},Quinn{n},Firm{n % 3}\n" for n in range(20)))
    books = Books(slow_sandbox, tmp_path)
    path = "/enrichment/person" if mode == "rows" else "/enrichment/bulk"
    interrupt(books, source, path, 6 if mode == "rows" else 1, "--mode", mode)
    books.run(source, "--mode", mode, "--map", "Email=ignore")
    if mode == "rows":
        assert person_posts(slow_sandbox) == 20
    else:
        assert len(slow_sandbox.ledger()["settlements"]) == 1
    books.check()


@pytest.mark.parametrize("mode", ["rows", "bulk"])
def test_full_after_a_finished_partial_run_buys_only_the_phones(
        fast_sandbox: Any, tmp_path: Path, mode: str) -> None:
    """QA: --type full after a finished --type partial run of the same people (within
    --max-age) buys phone_only for each (10, not 11): no email is bought twice; the rows
    show the email found before with the phone found now; the reports add up."""
    books = Books(fast_sandbox, tmp_path)
    books.run(SAMPLES / "leads.csv", "--mode", mode)
    before = len(fast_sandbox.ledger()["charges"])
    estimate = CliRunner().invoke(main, ["estimate", str(SAMPLES / "leads.csv"), "--type", "full",
                                         "--json", "--state-dir", str(tmp_path / "state")],
                                  env={"CLEANLIST_API_KEY": fast_sandbox.api_key,
                                       "CLEANLIST_BASE_URL": fast_sandbox.base_url})
    assert estimate.exit_code == 0, estimate.output
    mix = json.loads(estimate.output)["types"]
    assert set(mix) == {"phone_only"}
    refresh = CliRunner().invoke(main, ["estimate", str(SAMPLES / "leads.csv"), "--type", "full",
                                        "--refresh", "--json", "--state-dir",
                                        str(tmp_path / "state")])
    assert set(json.loads(refresh.output)["types"]) == {"full"}  # everything again, on purpose
    full = books.run(SAMPLES / "leads.csv", "--mode", mode, "--type", "full")
    later = fast_sandbox.ledger()["charges"][before:]
    assert later, "no phone was bought"
    assert all(c["credits"] in (0, 10) for c in later), later
    assert full["credits"]["estimated_max"] == 10 * sum(mix.values())
    assert full["saved"]["cache"] > 0  # the emails known before count as saved
    books.check()


@pytest.mark.parametrize(("mode", "path", "count"), [("rows", "/enrichment/person", 6),
                                                     ("bulk", "/enrichment/bulk", 1)])
def test_interrupted_partial_then_full_buys_no_email_twice(
        slow_sandbox: Any, tmp_path: Path, mode: str, path: str, count: int) -> None:
    """QA: Ctrl-C during a --type partial run, then --type full: the emails the first run
    bought or had in flight are collected, and only the phones of those people are bought;
    nobody's email is charged twice and the reports add up."""
    books = Books(slow_sandbox, tmp_path)
    interrupt(books, SAMPLES / "leads.csv", path, count, "--mode", mode)
    books.run(SAMPLES / "leads.csv", "--mode", mode, "--type", "full")
    emails = Counter[str]()
    for charge in slow_sandbox.ledger()["charges"]:
        emails[charge["identity"]] += charge["credits"] % 10  # 1 per email bought
    assert emails
    assert max(emails.values()) == 1, emails
    books.check()


def estimate(books: Books, src: Path, state: Path, *extra: str) -> dict[str, Any]:
    """`csv-enrich estimate --json` of `src` with the journal and cache in `state`."""
    env = {"CLEANLIST_API_KEY": books.server.api_key, "CLEANLIST_BASE_URL": books.server.base_url}
    result = CliRunner().invoke(main, ["estimate", str(src), "--json", "--state-dir", str(state),
                                       *extra], env=env)
    assert result.exit_code == 0, result.output
    doc: dict[str, Any] = json.loads(result.output)
    return doc


def test_three_runs_at_once_over_overlapping_files_add_up(slow_sandbox: Any,
                                                         tmp_path: Path) -> None:
    """QA: three overlapping files enriched at the same time (one state directory): each run's
    report claims only what it paid (the people another run bought come from the cache at 0
    credits), so the reports add up to the ledger instead of to more."""
    header = "First Name,Last Name,Email\n"
    people = [f"P{n},Person{n},p{n}.person@acme{n % 7}.io\n" for n in range(45)]
    files = []
    for n, part in enumerate((people[:30], people[15:], people[::2])):
        files.append(tmp_path / f"f{n}.csv")
        files[-1].write_text(header + "".join(part))
    books = Books(slow_sandbox, tmp_path)
    procs = [cli_process(slow_sandbox, [str(f), "-o", str(tmp_path / f"{f.stem}-out.csv"),
                                        "--yes", "--mode", "rows", "--rate-limit", "6000",
                                        "--state-dir", str(tmp_path / "state")])
             for f in files]
    errs = [p.communicate(timeout=300)[1] for p in procs]
    assert [p.returncode for p in procs] == [0, 0, 0], errs
    for f in files:
        out = tmp_path / f"{f.stem}-out.csv"
        report = json.loads(out.with_suffix(".report.json").read_text())
        report["_column"] = column_sum(out)
        books.reports.append(report)
    assert books.check() > 0


def test_a_run_killed_before_writing_anything_is_claimed_once_by_its_resume(
        slow_sandbox: Any, tmp_path: Path) -> None:
    """kill -9 mid-run (no report written): the resumed run's report claims everything the
    killed part paid, once; charged_now of the resume is the whole run."""
    books = Books(slow_sandbox, tmp_path)
    proc = cli_process(slow_sandbox, [str(SAMPLES / "leads.csv"), "-o",
                                      str(tmp_path / "out0.csv"), "--yes", "--mode", "rows",
                                      "--rate-limit", "6000", "--state-dir",
                                      str(tmp_path / "state")])
    deadline = time.monotonic() + 30
    while person_posts(slow_sandbox) < 8:
        assert time.monotonic() < deadline, "nothing to kill"
        time.sleep(0.02)
    proc.kill()
    proc.communicate(timeout=30)
    assert not (tmp_path / "out0.report.json").exists()
    resumed = books.run(SAMPLES / "leads.csv", "--mode", "rows")
    assert resumed["resumed"]
    assert resumed["credits"]["charged_now"] == resumed["credits"]["charged"]
    assert books.check() == resumed["credits"]["charged"]


def test_edited_file_collects_each_row_its_own_lead_not_a_namesakes(
        slow_sandbox: Any, tmp_path: Path) -> None:
    """Ctrl-C in a bulk run, then an edited file: a name-only row (its key also an alias of a
    namesake known by email, registered first) collects its own lead, and the email rows
    theirs (acceptance: 425 rows got a namesake's email; the row column 9 over charged)."""
    books = Books(slow_sandbox, tmp_path)
    head = "first_name,last_name,email,company,domain\n"
    people = "".join(f"Paula,Schmidt,paula.{n}@acmeanalytics.io,Acme Analytics,"
                     "acmeanalytics.io\n" for n in range(4))
    src = tmp_path / "namesakes.csv"
    src.write_text(head + people + "Paula,Schmidt,,Acme Analytics,acmeanalytics.io\n"
                   + "Karin,Smith,,Hooli,hooli.com\nKarin,Smith,karin.9@hooli.com,Hooli,"
                   "hooli.com\n")
    interrupt(books, src, "/enrichment/bulk", 1, "--mode", "bulk")
    edited = tmp_path / "edited.csv"
    edited.write_text(src.read_text() + "Zoe,Quinn,zoe@quinn.io,,quinn.io\n")
    books.run(edited, "--mode", "bulk")
    with (tmp_path / f"out{books.n}.csv").open(newline="", encoding="utf-8-sig") as fh:
        rows = list(csv.DictReader(fh))
    collected = [r for r in rows if r["enrichment_note"].startswith(ADOPTED)]
    assert len(collected) == 7
    for row in rows:
        assert row["enriched_email"].lower() in ("", row["email"].lower()) or not row["email"]
    assert rows[4]["enriched_email"] not in {r["email"] for r in rows}
    books.check()
