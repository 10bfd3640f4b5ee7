"""`csv-enrich watch` as a separate process against the sandbox: killed mid-file (SIGKILL) and
started again, it finishes the file and the sandbox's ledger charges nobody twice."""

from __future__ import annotations

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

from tests.conftest import SAMPLES

pytestmark = pytest.mark.slow  # the watcher as a separate process


@pytest.fixture
def slow_sandbox() -> Iterator[Any]:
    """Workflows that take a few real seconds, so the watcher can be killed in the middle."""
    from csv_enrich.sandbox import SandboxConfig, SandboxServer

    config = SandboxConfig(time_scale=0.5, rate_limit_per_min=100_000,
                           org_rate_limit_per_min=100_000)
    with SandboxServer(config) as server:
        yield server


def watch(folder: Path, server: Any, *more: str) -> subprocess.Popen[str]:
    env = {**os.environ, "CLEANLIST_API_KEY": server.api_key,
           "CLEANLIST_BASE_URL": server.base_url}
    args = ["watch", str(folder), "--settle", "0.2", "--rate-limit", "6000", "--state-dir",
            str(folder.parent / "state"), *more]
    return subprocess.Popen([sys.executable, "-m", "csv_enrich", *args], env=env, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def paid_requests(server: Any) -> int:
    return sum(1 for r in server.ledger()["requests"]
               if r["method"] == "POST" and ("enrich" in r["path"] or "csv-import" in r["path"]))


def charges(server: Any) -> Counter[str]:
    return Counter(c["identity"] for c in server.ledger()["charges"] if c["credits"])


def test_a_watcher_killed_mid_file_finishes_it_on_restart_and_pays_nobody_twice(
        slow_sandbox: Any, tmp_path: Path) -> None:
    """SIGKILL while the file's people are being enriched: the file stays in processing/; the
    next `watch --once` resumes it, writes outbox and archive, and the ledger charges every
    person once. Dropped a second time, the file costs nothing more."""
    folder = tmp_path / "drop"
    (folder / "inbox").mkdir(parents=True)
    shutil.copy(SAMPLES / "leads.csv", folder / "inbox" / "leads.csv")
    first = watch(folder, slow_sandbox)
    try:
        deadline = time.monotonic() + 60
        while not paid_requests(slow_sandbox):
            assert time.monotonic() < deadline, "the watcher never sent anything"
            time.sleep(0.05)
        first.send_signal(signal.SIGKILL)
        first.communicate(timeout=30)
    finally:
        first.kill()
    assert list((folder / "processing").glob("*/leads.csv"))
    assert not (folder / "outbox" / "leads.enriched.csv").exists()

    again = watch(folder, slow_sandbox, "--once")
    out, err = again.communicate(timeout=180)
    assert again.returncode == 0, err
    assert "resuming" in out
    assert "done       leads.csv -> outbox/leads.enriched.csv" in out
    assert (folder / "archive" / "leads.csv").read_bytes() == (SAMPLES / "leads.csv").read_bytes()
    assert (folder / "outbox" / "leads.enriched.report.json").exists()
    assert not list((folder / "processing").glob("*/leads.csv"))
    paid = charges(slow_sandbox)
    assert paid
    assert all(n == 1 for n in paid.values()), paid
    total = slow_sandbox.ledger()["charged_total"]

    shutil.copy(SAMPLES / "leads.csv", folder / "inbox" / "leads.csv")
    third = watch(folder, slow_sandbox, "--once")
    out, err = third.communicate(timeout=180)
    assert third.returncode == 0, err
    assert "; 0 credits charged" in out
    assert slow_sandbox.ledger()["charged_total"] == total
    assert slow_sandbox.api_key not in out + err + (folder / "csv-enrich.log").read_text()


def test_sigterm_mid_file_stops_cleanly_and_the_next_start_finishes_it(
        slow_sandbox: Any, tmp_path: Path) -> None:
    """`systemctl stop` sends SIGTERM: the watcher stops at the next step (exit 0, a 'stopped'
    line, no half file in outbox); the next start finishes the file, nobody charged twice."""
    folder = tmp_path / "drop"
    (folder / "inbox").mkdir(parents=True)
    shutil.copy(SAMPLES / "leads.csv", folder / "inbox" / "leads.csv")
    first = watch(folder, slow_sandbox)
    try:
        deadline = time.monotonic() + 60
        while not paid_requests(slow_sandbox):
            assert time.monotonic() < deadline, "the watcher never sent anything"
            time.sleep(0.05)
        first.send_signal(signal.SIGTERM)
        out, err = first.communicate(timeout=90)
    finally:
        first.kill()
    assert first.returncode == 0, err
    assert "stopped" in out
    assert "Traceback" not in err
    assert list((folder / "outbox").iterdir()) == []
    again = watch(folder, slow_sandbox, "--once")
    out, err = again.communicate(timeout=180)
    assert again.returncode == 0, err
    assert "done       leads.csv" in out
    assert all(n == 1 for n in charges(slow_sandbox).values())
