"""`csv-enrich task` as a separate process: Ctrl-C while the cohort runs at the API, then the
same command collects it without paying again."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

from csv_enrich.sandbox import SandboxConfig, SandboxServer
from tests.cohort_helpers import by_task_calls, person_cohort, rows_of

pytestmark = pytest.mark.slow  # the CLI as a separate process


@pytest.fixture
def slow_sandbox() -> Iterator[SandboxServer]:
    """Workflows that take a few real seconds, so a run can be interrupted while one runs."""
    config = SandboxConfig(time_scale=1.0, bulk_parallelism=1, rate_limit_per_min=100_000,
                           org_rate_limit_per_min=100_000)
    with SandboxServer(config) as server:
        yield server


def cli(args: list[str], server: SandboxServer) -> subprocess.Popen[str]:
    env = {**os.environ, "CLEANLIST_API_KEY": server.api_key,
           "CLEANLIST_BASE_URL": server.base_url}
    return subprocess.Popen([sys.executable, "-m", "csv_enrich", *args], env=env, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)


@pytest.mark.slow
def test_ctrl_c_while_the_cohort_runs_then_the_rerun_collects_it(
        slow_sandbox: SandboxServer, tmp_path: Path) -> None:
    """SIGINT after the paid call: exit 130 with the resume command; the rerun polls the same
    workflow (no second by-task call), writes every entity and charges nobody twice."""
    task, leads = person_cohort(slow_sandbox, 8)
    args = ["task", task, "-o", str(tmp_path / "c.csv"), "--data-points", "Email,Phone",
            "--yes", "--rate-limit", "6000", "--state-dir", str(tmp_path / "state")]
    proc = cli(args, slow_sandbox)
    deadline = time.monotonic() + 20
    while by_task_calls(slow_sandbox) == 0:
        assert time.monotonic() < deadline, "the cohort was never sent"
        time.sleep(0.05)
    time.sleep(0.3)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == 130, err
    assert "Resume with: csv-enrich task" in err
    assert "Traceback" not in err

    rerun = cli(args, slow_sandbox)
    _, err = rerun.communicate(timeout=120)
    assert rerun.returncode == 0, err
    assert by_task_calls(slow_sandbox) == 1
    assert [r["entity_id"] for r in rows_of(tmp_path / "c.csv")] == leads
    ledger = slow_sandbox.ledger()
    assert len(ledger["settlements"]) == 1
    assert all(n == 1 for n in Counter(c["identity"] for c in ledger["charges"]).values())
