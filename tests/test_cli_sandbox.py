"""`csv-enrich sandbox` as a person runs it: prints a URL and a key that work, stops on Ctrl-C."""

from __future__ import annotations

import signal
import subprocess
import sys

import httpx


def test_sandbox_command_serves_until_ctrl_c() -> None:
    """The printed base URL and key answer /whoami; SIGINT stops the server cleanly."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "csv_enrich", "sandbox", "--port", "0", "--credits", "42",
         "--rate-limit-per-min", "100"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    try:
        assert proc.stdout is not None
        first = proc.stdout.readline()
        usage = proc.stdout.readline()
        base_url = first.rsplit(" ", 1)[-1].strip()
        key = usage.split("CLEANLIST_API_KEY=", 1)[1].split()[0]
        headers = {"Authorization": f"Bearer {key}"}
        assert httpx.get(f"{base_url}/whoami", headers=headers).status_code == 200
        assert httpx.get(f"{base_url}/credits/balance", headers=headers).json()["credits"] == 42
    finally:
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=20)
    assert proc.returncode == 0, err
    assert "Sandbox stopped." in out
    assert "Traceback" not in err
