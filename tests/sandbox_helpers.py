"""Shared helpers for the sandbox tests: a fast config and an authenticated client."""

from __future__ import annotations

import time
from typing import Any

import httpx

from csv_enrich.sandbox import SandboxConfig, SandboxServer


def fast_config(**overrides: Any) -> SandboxConfig:
    """A sandbox config that runs workflows in milliseconds and never rate-limits."""
    values: dict[str, Any] = {"time_scale": 0.001, "rate_limit_per_min": 0,
                              "org_rate_limit_per_min": 0}
    values.update(overrides)
    return SandboxConfig(**values)


def client_for(server: SandboxServer, key: str | None = None) -> httpx.Client:
    """A sync httpx client on the server's /api/v2 with a bearer key."""
    headers = {"Authorization": f"Bearer {key or server.api_key}"}
    return httpx.Client(base_url=server.base_url, headers=headers, timeout=10)


def wait_terminal(client: httpx.Client, workflow_id: str, timeout: float = 10) -> dict[str, Any]:
    """Poll the status endpoint until the workflow is terminal; return the last body."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        body: dict[str, Any] = client.get(f"/enrichment/status/{workflow_id}").json()
        if body["status"] in ("completed", "failed", "cancelled"):
            return body
        time.sleep(0.005)
    raise AssertionError(f"workflow {workflow_id} not terminal after {timeout}s")


def new_list(client: httpx.Client, name: str = "run") -> str:
    """Create a lead list and return its id."""
    resp = client.post("/lead-lists", json={"name": name})
    assert resp.status_code in (200, 201), resp.text
    return str(resp.json()["list_id"])
