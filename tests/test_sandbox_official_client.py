"""The official SDK (cleanlist-ai), which no one on the team wrote, parses every sandbox answer."""

from __future__ import annotations

import re
import signal
import subprocess
import sys

import httpx
import pytest

from csv_enrich.sandbox import SandboxServer, create_app

try:  # tests/ on sys.path (rootdir mode) or tests as a package
    from sandbox_helpers import fast_config, official_client_run
except ModuleNotFoundError:
    from tests.sandbox_helpers import fast_config, official_client_run


def test_official_client_parses_every_response() -> None:
    """whoami, balance, lists, csv-import, estimate, bulk, status, person, company and by-task
    all come back as the SDK's typed models."""
    with SandboxServer(fast_config()) as srv:
        made, parsed, failures = official_client_run(srv.base_url.removesuffix("/api/v2"),
                                                     srv.api_key)
    assert failures == []
    assert made == parsed
    assert made >= 15


def test_official_client_against_csv_enrich_sandbox() -> None:
    """The same SDK run against the `csv-enrich sandbox` command parses every answer too."""
    cmd = [sys.executable, "-m", "csv_enrich", "sandbox", "--port", "0", "--time-scale",
           "0.001", "--rate-limit-per-min", "1000"]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        banner = proc.stdout.readline() + proc.stdout.readline()
        url = re.search(r"(http://\S+?)/api/v2", banner)
        key = re.search(r"clapi_\w+", banner)
        assert url is not None, banner
        assert key is not None, banner
        made, parsed, failures = official_client_run(url.group(1), key.group(0))
    finally:
        proc.send_signal(signal.SIGINT)
        proc.communicate(timeout=10)
    assert failures == []
    assert made == parsed >= 15
    assert proc.returncode == 0


@pytest.fixture
def anyio_backend() -> str:
    """The asyncio backend only."""
    return "asyncio"


@pytest.mark.anyio
async def test_in_process_asgi_transport() -> None:
    """create_app() serves in-process through httpx.ASGITransport, no socket needed."""
    app = create_app(fast_config())
    key = app.state.sandbox.default_key
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://sandbox/api/v2",
                                 headers={"Authorization": f"Bearer {key}"}) as c:
        created = await c.post("/lead-lists", json={"name": "asgi"})
        who = await c.get("/whoami")
    assert created.status_code == 201
    assert who.status_code == 200
    assert [r["status"] for r in app.state.sandbox.ledger.requests] == [201, 200]
