"""`--sandbox` keeps the README's promises: its sandbox lasts per state directory, so a second
run of the same file is not paid again and Ctrl-C then the same command resumes the run."""

from __future__ import annotations

import contextlib
import csv
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from click.testing import CliRunner, Result

from csv_enrich.cli.commands import main
from csv_enrich.cli.options import SANDBOX_CREDITS

PEOPLE = [("Zoë", "Nováková", "Acme", "acme.com"), ("José", "Gómez", "Globex", "globex.io"),
          ("Anna", "Smith", "Initech", "initech.com"),
          ("Søren", "Larsen", "Umbrella", "umbrella.co"),
          ("Priya", "Rossi", "Stripe", "stripe.com"), ("Omar", "Tanaka", "Hooli", "hooli.com")]


def people_csv(path: Path) -> Path:
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(["First Name", "Last Name", "Company", "Website"])
        writer.writerows(PEOPLE)
    return path


def wait_until_paid(state_dir: Path, proc: subprocess.Popen[str], timeout: float = 120) -> None:
    """Wait until the run's journal holds one answered paid call (not a fixed sleep: on a busy
    machine the process may not even have started the run after a few seconds)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and proc.poll() is None:
        for db in state_dir.rglob("journal.sqlite3"):
            try:
                with contextlib.closing(sqlite3.connect(db, timeout=1)) as con:
                    if con.execute("SELECT 1 FROM items WHERE outcome IS NOT NULL").fetchone():
                        return
            except sqlite3.Error:
                pass
        time.sleep(0.1)
    raise AssertionError("the run paid for nobody in time")


def run(args: list[str]) -> Result:
    return CliRunner().invoke(main, args, catch_exceptions=False)


def report(out: Path) -> dict[str, object]:
    return json.loads(out.with_name(out.name.removesuffix(".csv") + ".report.json").read_text())


def paid_in(out: Path) -> int:
    with out.open(encoding="utf-8-sig", newline="") as fh:
        return sum(int(r["enrichment_credits"] or 0) for r in csv.DictReader(fh))


def balance(state_dir: Path) -> int:
    result = run(["balance", "--json", "--sandbox", "--state-dir", str(state_dir)])
    assert result.exit_code == 0, result.output
    return int(json.loads(result.output)["credits"])


def test_a_second_run_and_a_copy_on_the_embedded_sandbox_pay_nothing_again(
        tmp_path: Path, state_dir: Path) -> None:
    """QA: each --sandbox invocation started an empty sandbox on a new port, so the same file
    run again (or a copy) was paid for again; now its balance and results last."""
    src = people_csv(tmp_path / "people.csv")
    first, again = tmp_path / "first.csv", tmp_path / "again.csv"
    assert run([str(src), "-o", str(first), "--sandbox", "--state-dir", str(state_dir),
                "--yes"]).exit_code == 0
    charged = report(first)["credits"]["charged"]  # type: ignore[index]
    assert charged > 0
    assert paid_in(first) == charged
    assert balance(state_dir) == SANDBOX_CREDITS - charged
    estimate = run(["estimate", str(src), "--json", "--sandbox", "--state-dir", str(state_dir)])
    assert estimate.exit_code == 0, estimate.output  # README: --sandbox on any command
    rows = report(first)["rows"]  # type: ignore[index]
    # issue 10: people not found are remembered too (not sent again within --max-age)
    assert json.loads(estimate.output)["rows"]["cached"] == rows["enriched"] + rows["not_found"]
    copy = tmp_path / "copy.csv"
    copy.write_bytes(src.read_bytes())
    for name, path in ((again, src), (tmp_path / "copy-out.csv", copy)):
        result = run([str(path), "-o", str(name), "--sandbox", "--state-dir", str(state_dir),
                      "--yes"])
        assert result.exit_code == 0, result.output
        assert report(name)["credits"]["charged"] == 0  # type: ignore[index]
        assert paid_in(name) == 0
    assert balance(state_dir) == SANDBOX_CREDITS - charged


def test_ctrl_c_then_the_same_command_resumes_on_the_embedded_sandbox(
        tmp_path: Path, state_dir: Path) -> None:
    """QA: after Ctrl-C the rerun met a new empty sandbox, so it could not resume the run; now
    it finishes the same run_id and everyone is paid for once."""
    src, out = people_csv(tmp_path / "people.csv"), tmp_path / "out.csv"
    args = [sys.executable, "-m", "csv_enrich", str(src), "-o", str(out), "--sandbox",
            "--state-dir", str(state_dir), "--yes", "--mode", "rows"]
    proc = subprocess.Popen([*args, "--rate-limit", "30"], env=dict(os.environ), text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    wait_until_paid(state_dir, proc)  # the pacer sends one request every 2 s: some rows are
    proc.send_signal(signal.SIGINT)  # paid for, not all
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    first = report(out)
    assert first["interrupted"] is True
    resumed = subprocess.run([*args, "--rate-limit", "6000"], text=True, capture_output=True,
                             timeout=120, env=dict(os.environ))
    assert resumed.returncode == 0, resumed.stderr
    final = report(out)
    assert final["run_id"] == first["run_id"]
    charged = final["credits"]["charged"]  # type: ignore[index]
    assert paid_in(out) == charged
    assert balance(state_dir) == SANDBOX_CREDITS - charged
    assert charged <= len(PEOPLE)  # partial: one credit a person, nobody twice
