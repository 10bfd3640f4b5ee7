"""`csv-enrich status`, `runs`, `balance` and refused keys, end to end against the sandbox."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from csv_enrich.cli.commands import main
from csv_enrich.sandbox import SandboxServer
from tests.cohort_helpers import api, company_cohort, person_cohort, run

SAMPLES = Path(__file__).resolve().parents[1] / "samples"


def person_workflow(server: SandboxServer, n: int = 4) -> tuple[str, str]:
    """A by-task workflow over `n` people: (workflow id, the cohort's task id)."""
    task, _ = person_cohort(server, n, "status")
    with api(server) as c:
        body = c.post("/enrichment/by-task", json={"task_id": task, "data_points": ["Email"]})
    return str(body.json()["workflow_id"]), task


def test_status_json_has_every_field_and_matches_the_api(fast_sandbox: SandboxServer) -> None:
    """--json: state, progress, counters, type, list, credits and refund, as the API says."""
    wf, _ = person_workflow(fast_sandbox)
    result = run(["status", wf, "--wait", "--json"], fast_sandbox)
    assert result.exit_code == 0, result.output
    got = json.loads(result.output)
    with api(fast_sandbox) as c:
        raw = c.get(f"/enrichment/status/{wf}").json()
    for key in ("workflow_id", "status", "progress", "total", "processed", "completed", "failed",
                "enrichment_type", "lead_list_id", "summary", "credits_charged",
                "credits_refunded", "refund_status", "refund_message"):
        assert got[key] == raw[key], key
    assert got["status"] == "completed"


def test_status_accepts_the_cohort_handle_and_waits_with_a_bar(
        fast_sandbox: SandboxServer) -> None:
    """A cl-task_ handle resolves to its workflow; --wait ends on the terminal state, in words."""
    wf, task = person_workflow(fast_sandbox, 6)
    result = run(["status", task, "--wait"], fast_sandbox)
    assert result.exit_code == 0, result.output
    assert f"Workflow {wf}: completed (100%)" in result.output
    assert "Leads: 6 in all, 6 processed" in result.output
    assert "Credits: " in result.output
    assert " charged, " in result.output
    assert "Refund: not_applicable" in result.output


def test_status_of_an_unknown_workflow_is_one_line(fast_sandbox: SandboxServer) -> None:
    """Exit 2 and what workflow ids look like."""
    result = run(["status", "bulk-enrich-nope"], fast_sandbox)
    assert result.exit_code == 2
    assert result.output.count("\n") == 1
    assert "Workflow ids look like" in result.output


@pytest.mark.slow
def test_runs_lists_finished_and_interrupted_runs_with_the_resume_command(
        fast_sandbox: SandboxServer, tmp_path: Path, state_dir: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """A file run and a cohort run are listed with rows and credits; a run cut short shows the
    command that resumes it; `runs show` prints the report."""
    out = tmp_path / "leads.csv"
    done = run(["enrich", str(SAMPLES / "leads.csv"), "-o", str(out), "--yes", "--state-dir",
                str(state_dir)], fast_sandbox)
    assert done.exit_code == 0, done.output
    task = company_cohort(fast_sandbox, ["stripe.com", "nobody.invalid"])
    fast_sandbox.state.faults.forced.extend(["none", "none", "5xx", "5xx", "5xx"])
    args = ["task", task, "-o", str(tmp_path / "t.csv"), "--data-points", "Industry", "--yes",
            "--state-dir", str(state_dir)]
    monkeypatch.setattr(sys, "argv", ["csv-enrich", *args])  # what the shell would pass
    cut = run(args, fast_sandbox)
    assert cut.exit_code == 5, cut.output
    listed = run(["runs", "--json", "--state-dir", str(state_dir)], fast_sandbox)
    assert listed.exit_code == 0, listed.output
    cohort, enriched = json.loads(listed.output)
    report = json.loads((tmp_path / "leads.report.json").read_text())
    assert (enriched["state"], enriched["input"], enriched["output"]) == \
        ("finished", str(SAMPLES / "leads.csv"), str(out))
    assert enriched["credits_charged"] == report["credits"]["charged"]
    assert enriched["rows"]["enriched"] == report["rows"]["enriched"]
    assert enriched["resume"] is None
    assert (cohort["state"], cohort["input"]) == ("interrupted", task)
    assert cohort["resume"] == "csv-enrich " + " ".join(args)
    text = run(["runs", "--state-dir", str(state_dir)], fast_sandbox)
    assert f"resume with: {cohort['resume']}" in text.output
    shown = run(["runs", "show", enriched["run_id"][:10], "--state-dir", str(state_dir)],
                fast_sandbox)
    assert shown.exit_code == 0, shown.output
    assert f"Output: {out}" in shown.output
    assert f"Credits: {report['credits']['charged']:,} charged" in shown.output
    as_json = run(["runs", "show", enriched["run_id"], "--json", "--state-dir", str(state_dir)],
                  fast_sandbox)
    assert json.loads(as_json.output)["rows"] == report["rows"]


@pytest.mark.slow
def test_runs_of_another_key_are_not_listed(fast_sandbox: SandboxServer, tmp_path: Path,
                                            state_dir: Path) -> None:
    """The journal is per account: another key sees no runs; an unknown id is one line."""
    done = run(["enrich", str(SAMPLES / "leads.csv"), "-o", str(tmp_path / "o.csv"), "--yes",
                "--state-dir", str(state_dir)], fast_sandbox)
    assert done.exit_code == 0
    other = fast_sandbox.state.add_key(["credits:read"])
    mine = run(["runs", "--json", "--state-dir", str(state_dir)], fast_sandbox)
    theirs = run(["runs", "--json", "--state-dir", str(state_dir)], fast_sandbox,
                 CLEANLIST_API_KEY=other)
    assert len(json.loads(mine.output)) == 1
    assert json.loads(theirs.output) == []
    missing = run(["runs", "show", "ffff", "--state-dir", str(state_dir)], fast_sandbox)
    assert missing.exit_code == 2
    assert "No run 'ffff'" in missing.output


def test_refused_key_says_where_it_came_from_for_every_command(
        fast_sandbox: SandboxServer, tmp_path: Path, state_dir: Path) -> None:
    """A wrong or revoked key: exit 4, names CLEANLIST_API_KEY or the --api-key-file it came
    from and where to create one; never the raw API wording, never the key."""
    bad = "clapi_" + "x" * 48
    key_file = tmp_path / "key.txt"
    key_file.write_text(bad)
    commands = [["balance"], ["status", "bulk-enrich-x"],
                ["task", "cl-task_x", "-o", str(tmp_path / "t.csv"), "--data-points", "Email",
                 "--yes"],
                ["enrich", str(SAMPLES / "leads.csv"), "-o", str(tmp_path / "e.csv"), "--yes"]]
    for args in commands:
        from_env = run([*args, "--state-dir", str(state_dir)], fast_sandbox,
                       CLEANLIST_API_KEY=bad)
        from_file = run([*args, "--state-dir", str(state_dir), "--api-key-file", str(key_file)],
                        fast_sandbox, CLEANLIST_API_KEY="")
        for result, source in ((from_env, "CLEANLIST_API_KEY"),
                               (from_file, f"--api-key-file {key_file}")):
            assert result.exit_code == 4, (args, result.output)
            assert f"The API key from {source} was refused" in result.output
            assert "app.cleanlist.ai" in result.output
            assert bad not in result.output
            assert "Not authenticated" not in result.output


def test_balance_as_today(fast_sandbox: SandboxServer) -> None:
    """`balance` and `balance --json` print the organisation's credits."""
    result: Result = CliRunner().invoke(main, ["balance", "--json"], env={
        "CLEANLIST_API_KEY": fast_sandbox.api_key, "CLEANLIST_BASE_URL": fast_sandbox.base_url})
    assert json.loads(result.output) == {"credits": fast_sandbox.config.credits}


def test_a_run_refused_before_spending_is_not_a_past_run(
        fast_sandbox: SandboxServer, tmp_path: Path, state_dir: Path) -> None:
    """Over --max-credits (file or cohort): exit 3, and `runs` lists nothing."""
    capped = run(["enrich", str(SAMPLES / "leads.csv"), "-o", str(tmp_path / "o.csv"),
                  "--max-credits", "0", "--state-dir", str(state_dir)], fast_sandbox)
    task, _ = person_cohort(fast_sandbox, 2)
    cohort = run(["task", task, "-o", str(tmp_path / "t.csv"), "--data-points", "Email",
                  "--max-credits", "1", "--state-dir", str(state_dir)], fast_sandbox)
    assert (capped.exit_code, cohort.exit_code) == (3, 3)
    listed = run(["runs", "--json", "--state-dir", str(state_dir)], fast_sandbox)
    assert json.loads(listed.output) == []


def test_status_of_a_legacy_run_says_it_reports_no_settlement(
        fast_sandbox: SandboxServer) -> None:
    """A legacy bulk workflow on the v2 status endpoint: credits null, said in words."""
    legacy = fast_sandbox.base_url.replace("/api/v2", "/api/v1/public")
    with api(fast_sandbox) as c:
        body = c.post(legacy + "/enrich/bulk", json={
            "enrichment_type": "partial",
            "contacts": [{"linkedin_url": "https://www.linkedin.com/in/ada-l"}]}).json()
    result = run(["status", body["workflow_id"], "--wait"], fast_sandbox)
    assert result.exit_code == 0, result.output
    assert "Credits: none reported (a legacy run is charged per contact" in result.output


def test_missing_key_says_where_to_put_it_and_where_to_create_one(tmp_path: Path) -> None:
    """No key in the environment, or an empty --api-key-file: exit 4, nothing sent, the line
    names the variable or the file and where a key is created."""
    empty = tmp_path / "key.txt"
    empty.write_text("\n")
    none = run(["balance"], CLEANLIST_API_KEY="")
    blank = run(["runs", "--api-key-file", str(empty)], CLEANLIST_API_KEY="")
    assert (none.exit_code, blank.exit_code) == (4, 4)
    assert "Set CLEANLIST_API_KEY" in none.output
    assert f"--api-key-file {empty} is empty" in blank.output
    assert "app.cleanlist.ai" in none.output
    assert "app.cleanlist.ai" in blank.output


def test_a_file_run_twice_is_listed_under_two_ids_runs_show_takes(
        fast_sandbox: SandboxServer, tmp_path: Path, state_dir: Path) -> None:
    """QA: a finished file run again is a new run (`ID-2`), but `runs` showed both as the same
    12 characters and `runs show` with them answered '2 runs start with ...'."""
    for name in ("a.csv", "b.csv"):
        done = run(["enrich", str(SAMPLES / "leads.csv"), "-o", str(tmp_path / name), "--yes",
                    "--state-dir", str(state_dir)], fast_sandbox)
        assert done.exit_code == 0, done.output
    listed = run(["runs", "--state-dir", str(state_dir)], fast_sandbox).output
    shown_ids = [line.split()[0] for line in listed.splitlines() if not line.startswith(" ")]
    assert len(set(shown_ids)) == 2, listed
    for short, name in zip(shown_ids, ("b.csv", "a.csv"), strict=True):
        shown = run(["runs", "show", short, "--state-dir", str(state_dir)], fast_sandbox)
        assert shown.exit_code == 0, shown.output
        assert f"Output: {tmp_path / name}" in shown.output
