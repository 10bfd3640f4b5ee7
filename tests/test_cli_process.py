"""The CLI as a separate process: Ctrl-C mid-run, the resume, and the key kept out of everything."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

SAMPLES = Path(__file__).resolve().parents[1] / "samples"


@pytest.fixture
def slow_sandbox() -> Iterator[Any]:
    """Workflows that take a few real seconds, so a run can be interrupted in the middle."""
    from csv_enrich.sandbox import SandboxConfig, SandboxServer

    config = SandboxConfig(time_scale=0.5, rate_limit_per_min=100_000,
                           org_rate_limit_per_min=100_000)
    with SandboxServer(config) as server:
        yield server


def cli(args: list[str], server: Any) -> subprocess.Popen[str]:
    env = {**os.environ, "CLEANLIST_API_KEY": server.api_key,
           "CLEANLIST_BASE_URL": server.base_url}
    return subprocess.Popen([sys.executable, "-m", "csv_enrich", *args], env=env, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)


@pytest.mark.slow
def test_ctrl_c_exits_130_with_the_resume_command_and_the_rerun_pays_nothing_twice(
    slow_sandbox: Any, tmp_path: Path
) -> None:
    """SIGINT mid-run: exit 130 and the command to resume; that command finishes the run and the
    ledger charges nobody twice."""
    args = [str(SAMPLES / "leads.csv"), "-o", str(tmp_path / "out.csv"), "--mode", "rows",
            "--yes", "--rate-limit", "6000", "--state-dir", str(tmp_path / "state")]
    proc = cli(args, slow_sandbox)
    deadline = time.monotonic() + 20
    while not any(r["path"].endswith("/enrichment/person")
                  for r in slow_sandbox.ledger()["requests"]):
        assert time.monotonic() < deadline, "the run never submitted anyone"
        time.sleep(0.05)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == 130, err
    assert "Resume with: csv-enrich" in err
    assert "Traceback" not in err
    assert json.loads((tmp_path / "out.report.json").read_text())["interrupted"] is True

    rerun = cli(args, slow_sandbox)
    _, err = rerun.communicate(timeout=120)
    assert rerun.returncode == 0, err
    assert (tmp_path / "out.csv").exists()
    charges = Counter(c["identity"] for c in slow_sandbox.ledger()["charges"] if c["credits"])
    assert charges
    assert all(n == 1 for n in charges.values()), charges


@pytest.mark.slow
def test_the_api_key_appears_in_no_output_report_state_or_message(
    fast_sandbox: Any, tmp_path: Path
) -> None:
    """After a run and a failed run, the key is in no file written and in nothing printed."""
    args = [str(SAMPLES / "leads.xlsx"), "-o", str(tmp_path / "out.xlsx"), "--yes", "--json",
            "--rate-limit", "6000", "--state-dir", str(tmp_path / "state")]
    ok = cli(args, fast_sandbox)
    out, err = ok.communicate(timeout=120)
    assert ok.returncode == 0, err
    wrong_key = "clapi_" + "x" * 48
    env = {**os.environ, "CLEANLIST_API_KEY": wrong_key,
           "CLEANLIST_BASE_URL": fast_sandbox.base_url}
    bad = subprocess.run([sys.executable, "-m", "csv_enrich", *args[:-4], "--debug",
                          "--state-dir", str(tmp_path / "state")],
                         env=env, text=True, capture_output=True, timeout=60)
    assert bad.returncode == 4, bad.stderr
    for key in (fast_sandbox.api_key, wrong_key):
        assert key not in out + err + bad.stdout + bad.stderr
        for path in tmp_path.rglob("*"):
            if path.is_file():
                assert key.encode() not in path.read_bytes(), path


def test_declining_the_prompt_on_a_terminal_spends_nothing(fast_sandbox: Any,
                                                           tmp_path: Path) -> None:
    """On a terminal the estimate is shown and asked about; 'n' exits 3 and nothing is charged."""
    import pty

    leader, follower = pty.openpty()
    env = {**os.environ, "CLEANLIST_API_KEY": fast_sandbox.api_key,
           "CLEANLIST_BASE_URL": fast_sandbox.base_url}
    proc = subprocess.Popen(
        [sys.executable, "-m", "csv_enrich", str(SAMPLES / "leads.csv"), "-o",
         str(tmp_path / "o.csv"), "--rate-limit", "6000", "--state-dir", str(tmp_path / "st")],
        stdin=follower, stdout=follower, stderr=follower, env=env)
    os.close(follower)
    seen = b""
    deadline = time.monotonic() + 60
    while b"Spend up to that?" not in seen:
        assert time.monotonic() < deadline, seen
        seen += os.read(leader, 4096)
    assert b"20 to enrich (partial); up to 20 credits" in seen
    os.write(leader, b"n\n")
    assert proc.wait(timeout=60) == 3
    with contextlib.suppress(OSError):
        while chunk := os.read(leader, 4096):
            seen += chunk
    os.close(leader)
    assert b"Nothing spent" in seen
    assert fast_sandbox.ledger()["charges"] == []
    assert not (tmp_path / "o.csv").exists()


@pytest.mark.slow
def test_two_runs_at_once_over_overlapping_people_pay_nobody_twice(
    slow_sandbox: Any, tmp_path: Path
) -> None:
    """QA round 2: two files sharing 20 people, enriched at the same time with one state dir:
    the second run waits for the first and takes the shared people from its results."""
    header = "First Name,Last Name,Email\n"
    people = [f"P{n},Person{n},p{n}.person@acme{n % 7}.io\n" for n in range(60)]
    first, second = tmp_path / "x.csv", tmp_path / "y.csv"
    first.write_text(header + "".join(people[:40]))
    second.write_text(header + "".join(reversed(people[20:])).upper())
    common = ["--yes", "--mode", "rows", "--rate-limit", "6000", "--state-dir",
              str(tmp_path / "state")]
    runs = [cli([str(f), "-o", str(tmp_path / f"{f.stem}-out.csv"), *common], slow_sandbox)
            for f in (first, second)]
    errs = [run.communicate(timeout=180)[1] for run in runs]
    assert [run.returncode for run in runs] == [0, 0], errs
    assert any("waiting for it to finish" in err for err in errs)
    charges = Counter(c["identity"] for c in slow_sandbox.ledger()["charges"] if c["credits"])
    assert charges
    assert all(n == 1 for n in charges.values()), charges


def test_ctrl_c_at_the_question_exits_130_at_once(fast_sandbox: Any, tmp_path: Path) -> None:
    """Issue 10: the first Ctrl-C at the confirmation prompt stops the run (exit 130) with
    nothing spent; it used to be ignored until the question was answered."""
    import pty

    leader, follower = pty.openpty()
    env = {**os.environ, "CLEANLIST_API_KEY": fast_sandbox.api_key,
           "CLEANLIST_BASE_URL": fast_sandbox.base_url}
    proc = subprocess.Popen(
        [sys.executable, "-m", "csv_enrich", str(SAMPLES / "leads.csv"), "-o",
         str(tmp_path / "o.csv"), "--rate-limit", "6000", "--state-dir", str(tmp_path / "st")],
        stdin=follower, stdout=follower, stderr=follower, env=env)
    os.close(follower)
    seen = b""
    deadline = time.monotonic() + 60
    while b"Spend up to that?" not in seen:
        assert time.monotonic() < deadline, seen
        seen += os.read(leader, 4096)
    proc.send_signal(signal.SIGINT)
    assert proc.wait(timeout=10) == 130
    with contextlib.suppress(OSError):
        while chunk := os.read(leader, 4096):
            seen += chunk
    os.close(leader)
    assert b"nothing spent" in seen
    assert b"Traceback" not in seen
    assert fast_sandbox.ledger()["charges"] == []


@pytest.fixture
def slow_sandbox_without_csv_import() -> Iterator[Any]:
    """CSV import off (the default on real accounts) and workflows that take real seconds."""
    from csv_enrich.sandbox import SandboxConfig, SandboxServer

    config = SandboxConfig(time_scale=0.5, rate_limit_per_min=100_000,
                           org_rate_limit_per_min=100_000, csv_import=False)
    with SandboxServer(config) as server:
        yield server


@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGINT])
def test_killed_on_the_legacy_path_the_rerun_pays_nobody_twice(
    slow_sandbox_without_csv_import: Any, tmp_path: Path, sig: signal.Signals
) -> None:
    """kill -9 (or Ctrl-C) once the legacy batch is sent: the same command finishes the run in
    legacy mode and the ledger charges nobody twice."""
    server = slow_sandbox_without_csv_import
    source = tmp_path / "people.csv"
    rows = [f"Ann{n},Lee{n},Acme {n % 4}" for n in range(40)]
    source.write_text("First Name,Last Name,Company\n" + "\n".join(rows) + "\n")
    args = [str(source), "-o", str(tmp_path / "out.csv"), "--yes", "--rate-limit", "6000",
            "--state-dir", str(tmp_path / "state")]
    proc = cli(args, server)
    deadline = time.monotonic() + 20
    while not any(r["path"].endswith("/enrich/bulk") for r in server.ledger()["requests"]):
        assert time.monotonic() < deadline, "the run never sent a legacy batch"
        time.sleep(0.02)
    proc.send_signal(sig)
    proc.communicate(timeout=30)
    rerun = cli(args, server)
    _, err = rerun.communicate(timeout=120)
    assert rerun.returncode == 0, err
    report = json.loads((tmp_path / "out.report.json").read_text())
    assert report["mode"] == "legacy"
    charges = Counter(c["identity"] for c in server.ledger()["charges"] if c["credits"])
    assert charges
    assert all(n == 1 for n in charges.values()), charges
    assert sum(1 for r in server.ledger()["requests"] if r["path"].endswith("/enrich/bulk")) == 1
