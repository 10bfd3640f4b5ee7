"""Persistence and files: --state keeps lists, leads, balance and workflows; --ledger writes JSON
lines; serve() prints through on_ready and stops cleanly on Ctrl-C."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import httpx

from csv_enrich.sandbox import SandboxServer

try:  # tests/ on sys.path (rootdir mode) or tests as a package
    from sandbox_helpers import client_for, fast_config, new_list, wait_terminal
except ModuleNotFoundError:
    from tests.sandbox_helpers import client_for, fast_config, new_list, wait_terminal


def test_state_file_survives_a_restart(tmp_path: Path) -> None:
    """Lists, leads, balance, keys and settled workflows come back after a restart."""
    state = tmp_path / "state.json"
    with SandboxServer(fast_config(state_file=state)) as srv, client_for(srv) as c:
        key = srv.api_key
        list_id = new_list(c, "kept")
        wf = c.post("/enrichment/person", json={"lead_list_id": list_id, "email": "k@acme.io",
                                                "enrichment_type": "full"}).json()
        done = wait_terminal(c, wf["workflow_id"])
        balance = c.get("/credits/balance").json()["credits"]
    with SandboxServer(fast_config(state_file=state)) as srv, client_for(srv) as c:
        assert srv.api_key == key
        assert c.get(f"/lead-lists/{list_id}").json()["lead_count"] == 1
        assert c.get("/credits/balance").json()["credits"] == balance
        again = c.get(f"/enrichment/status/{wf['workflow_id']}").json()
    assert again["credits_charged"] == done["credits_charged"]


def test_running_workflow_finishes_after_restart(tmp_path: Path) -> None:
    """A workflow still running at shutdown settles after the restart, exactly once."""
    state = tmp_path / "state.json"
    with SandboxServer(fast_config(state_file=state, time_scale=0.2)) as srv, \
            client_for(srv) as c:
        list_id = new_list(c)
        wf = c.post("/enrichment/person", json={"lead_list_id": list_id,
                                                "email": "slow@acme.io"}).json()
    with SandboxServer(fast_config(state_file=state)) as srv, client_for(srv) as c:
        done = wait_terminal(c, wf["workflow_id"], timeout=5)
        settlements = [s for s in srv.ledger()["settlements"]
                       if s["workflow_id"] == wf["workflow_id"]]
    assert done["status"] == "completed"
    assert len(settlements) == 1


def test_ledger_file_is_json_lines(tmp_path: Path) -> None:
    """--ledger FILE gets one JSON object per request and per charge."""
    ledger = tmp_path / "ledger.jsonl"
    with SandboxServer(fast_config(ledger_file=ledger)) as srv, client_for(srv) as c:
        c.post("/enrichment/company", json={"domain": "stripe.com"})
        c.get("/whoami")
    lines = [json.loads(line) for line in ledger.read_text().splitlines()]
    kinds = [line["type"] for line in lines]
    assert kinds == ["charge", "request", "request"]
    assert lines[0]["identity"] == "domain:stripe.com"
    assert lines[0]["credits"] == 1
    assert lines[1]["path"] == "/api/v2/enrichment/company"


SERVE = textwrap.dedent("""
    from csv_enrich.sandbox import SandboxConfig, serve
    serve(SandboxConfig(time_scale=0.001), port=0,
          on_ready=lambda url, key: print(url, key, flush=True))
    print("stopped", flush=True)
""")


def test_serve_reports_url_and_key_and_stops_on_ctrl_c() -> None:
    """serve() calls on_ready with a working URL and key, and returns cleanly on SIGINT."""
    proc = subprocess.Popen([sys.executable, "-c", SERVE], stdout=subprocess.PIPE, text=True,
                            stderr=subprocess.PIPE)
    try:
        assert proc.stdout is not None
        url, key = proc.stdout.readline().split()
        resp = httpx.get(url + "/whoami", headers={"Authorization": f"Bearer {key}"})
        assert resp.status_code == 200
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=10)
    finally:
        proc.kill()
    assert proc.returncode == 0, err
    assert out.strip() == "stopped"
    assert "Traceback" not in err


def test_keys_never_reach_the_ledger_or_error_bodies(tmp_path: Path) -> None:
    """Neither the ledger (HTTP or file) nor an error answer contains a key."""
    ledger = tmp_path / "ledger.jsonl"
    with SandboxServer(fast_config(ledger_file=ledger)) as srv, client_for(srv) as c:
        c.post("/enrichment/person", json={"lead_list_id": "nope", "email": "a@b.io"})
        wrong = httpx.get(srv.base_url + "/whoami",
                          headers={"Authorization": "Bearer clapi_wrong_secret_value"})
        snapshot = json.dumps(srv.ledger())
        key = srv.api_key
    assert key not in snapshot
    assert key not in ledger.read_text()
    assert "clapi_wrong_secret_value" not in wrong.text
