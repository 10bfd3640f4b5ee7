"""Resume and never-pay-twice: Ctrl-C in process, kill -9 of a subprocess, then the same run."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path
from typing import Any

import pytest

from csv_enrich import errors
from csv_enrich.engine.run import run_plan
from csv_enrich.sandbox import SandboxConfig, SandboxServer
from tests.test_engine_helpers import FAST, charges_by_identity, make_plan, person, rig

REPO = Path(__file__).resolve().parents[1]

# The child: run one plan against a sandbox URL with the journal in a state dir, print the result.
CHILD = """
import asyncio, json, sys
from pathlib import Path
from csv_enrich.engine.run import run_plan
from csv_enrich.models import Identity
from tests.test_engine_helpers import FAST, make_plan, rig

async def main() -> None:
    base_url, key, state, mode, spec = sys.argv[1:6]
    idents = [Identity(**d) for d in json.loads(Path(spec).read_text())]
    plan = make_plan(idents, mode=mode, run_id="killed-run")
    async with rig(base_url, key, Path(state), rate=int(sys.argv[6])) as r:
        result = await run_plan(plan, client=r.client, journal=r.journal, cache=r.cache,
                                tuning=FAST)
    print(json.dumps({k: [o.status, o.credits] for k, o in result.outcomes.items()}))

asyncio.run(main())
"""


def requests_to(ledger: dict[str, Any], suffix: str) -> int:
    """How many requests the sandbox received on paths ending with `suffix`."""
    return sum(1 for r in ledger["requests"] if r["path"].endswith(suffix))


def wait_for(check: Callable[[], bool], timeout: float = 30.0) -> None:
    """Poll `check` until it is true."""
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "timed out waiting"
        time.sleep(0.005)


def run_child(server: SandboxServer, state: Path, spec: Path, mode: str,
              rate: int) -> subprocess.Popen[str]:
    """Start the child engine process."""
    script = state.parent / "child.py"
    script.write_text(CHILD)
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    args = [sys.executable, str(script), server.base_url, server.api_key, str(state), mode,
            str(spec), str(rate)]
    return subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env=env, cwd=REPO)


@pytest.mark.parametrize(("mode", "kill_after", "rate"), [
    ("rows", "/enrichment/person", 1200),
    ("bulk", "/enrichment/bulk", 60_000),
    ("bulk", "/csv-import", 60_000),
])
def test_kill_9_mid_run_then_rerun_pays_nothing_twice(tmp_path: Path, mode: str,
                                                      kill_after: str, rate: int) -> None:
    """kill -9 of the engine mid-run, then the same run again: every identity ends enriched or
    not_found, and the sandbox ledger shows no identity charged twice and one bulk run at most."""
    idents = [person(n) for n in range(24)]
    spec = tmp_path / "idents.json"
    spec.write_text(json.dumps([asdict(i) for i in idents]))
    state = tmp_path / "state"
    config = SandboxConfig(credits=100_000, time_scale=0.05, rate_limit_per_min=100_000,
                           org_rate_limit_per_min=100_000)
    with SandboxServer(config) as server:
        child = run_child(server, state, spec, mode, rate)
        wait_for(lambda: requests_to(server.ledger(), kill_after) >= (3 if mode == "rows" else 1))
        child.send_signal(signal.SIGKILL)
        child.communicate()
        assert child.returncode == -signal.SIGKILL
        again = run_child(server, state, spec, mode, 600_000)
        out, err = again.communicate(timeout=60)
        assert again.returncode == 0, err
        ledger = server.ledger()
    outcomes = json.loads(out)
    assert set(outcomes) == {i.key for i in idents}
    assert {status for status, _ in outcomes.values()} <= {"enriched", "not_found"}
    assert max(charges_by_identity(ledger).values()) == 1
    assert sum(credits for _, credits in outcomes.values()) == ledger["charged_total"]
    if mode == "bulk":
        assert len(ledger["settlements"]) == 1


@pytest.mark.anyio
@pytest.mark.parametrize("mode", ["rows", "bulk"])
async def test_cancel_raises_interrupted_and_the_rerun_resumes(tmp_path: Path,
                                                               mode: str) -> None:
    """Cancelling run_plan (Ctrl-C) raises Interrupted; running the plan again completes it
    without paying for anything twice."""
    idents = [person(n) for n in range(16)]
    plan = make_plan(idents, mode=mode)
    config = SandboxConfig(credits=100_000, time_scale=0.05, rate_limit_per_min=100_000,
                           org_rate_limit_per_min=100_000)
    with SandboxServer(config) as server:
        async with rig(server.base_url, server.api_key, tmp_path, rate=1200) as r:
            task = asyncio.create_task(run_plan(
                plan, client=r.client, journal=r.journal, cache=r.cache,
                tuning=FAST))
            for _ in range(6000):
                if r.client.stats.requests >= 6:
                    break
                await asyncio.sleep(0.005)
            task.cancel()
            with pytest.raises(errors.Interrupted, match="run the same command again"):
                await task
        async with rig(server.base_url, server.api_key, tmp_path) as r:
            result = await run_plan(plan, client=r.client, journal=r.journal, cache=r.cache,
                                    tuning=FAST)
        ledger = server.ledger()
    assert {o.status for o in result.outcomes.values()} <= {"enriched", "not_found"}
    assert max(charges_by_identity(ledger).values()) == 1
    assert sum(o.credits for o in result.outcomes.values()) == ledger["charged_total"]


@pytest.mark.anyio
async def test_an_intent_that_never_reached_the_api_is_sent_on_resume(tmp_path: Path) -> None:
    """A crash between the journal's intent and the request: the list does not hold the lead,
    so the rerun sends it (once)."""
    idents = [person(n) for n in range(3)]
    plan = make_plan(idents, mode="rows", run_id="crashed-before-send")
    config = SandboxConfig(credits=1000, time_scale=0.001, rate_limit_per_min=100_000,
                           org_rate_limit_per_min=100_000)
    with SandboxServer(config) as server:
        async with rig(server.base_url, server.api_key, tmp_path) as r:
            r.journal.intent(plan.run_id, idents[0].key, 1)
            result = await run_plan(plan, client=r.client, journal=r.journal, cache=r.cache,
                                    tuning=FAST)
        ledger = server.ledger()
    assert {o.status for o in result.outcomes.values()} <= {"enriched", "not_found"}
    assert requests_to(ledger, "/enrichment/person") == 3
    assert sum(o.credits for o in result.outcomes.values()) == ledger["charged_total"]


@pytest.mark.anyio
@pytest.mark.parametrize(("first", "then"), [("bulk", "rows"), ("rows", "bulk")])
async def test_a_resume_with_another_mode_goes_on_in_the_first_mode(
        tmp_path: Path, first: str, then: str) -> None:
    """QA round 2: Ctrl-C in one --mode, then the same run with the other: the run goes on in
    the mode it started in (with a warning) and nobody is charged twice."""
    idents = [person(n) for n in range(16)]
    config = SandboxConfig(credits=100_000, time_scale=0.05, rate_limit_per_min=100_000,
                           org_rate_limit_per_min=100_000)
    with SandboxServer(config) as server:
        async with rig(server.base_url, server.api_key, tmp_path, rate=1200) as r:
            task = asyncio.create_task(run_plan(
                make_plan(idents, mode=first), client=r.client, journal=r.journal,
                cache=r.cache, tuning=FAST))
            for _ in range(6000):
                if r.client.stats.requests >= 6:
                    break
                await asyncio.sleep(0.005)
            task.cancel()
            with pytest.raises(errors.Interrupted):
                await task
        async with rig(server.base_url, server.api_key, tmp_path) as r:
            result = await run_plan(make_plan(idents, mode=then), client=r.client,
                                    journal=r.journal, cache=r.cache,
                                    tuning=FAST)
        ledger = server.ledger()
    assert result.mode == first
    assert any(f"--mode {then} was not used" in w for w in result.warnings)
    assert max(charges_by_identity(ledger).values()) == 1
    assert sum(o.credits for o in result.outcomes.values()) == ledger["charged_total"]
