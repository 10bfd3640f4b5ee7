"""The legacy 5-endpoint API under /api/v1/public (CONTRACT.md §9), over loopback HTTP."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from csv_enrich.sandbox import SandboxServer

try:  # tests/ on sys.path (rootdir mode) or tests as a package
    from sandbox_helpers import fast_config
except ModuleNotFoundError:
    from tests.sandbox_helpers import fast_config

CONTACTS = [{"linkedin_url": "https://www.linkedin.com/in/ann-lee"},
            {"first_name": "Bo", "last_name": "Ek", "company_domain": "acme.io"},
            {"first_name": "Cy", "last_name": "Di", "company_name": "Initech", "email": "c@i.co"}]


@pytest.fixture
def v1() -> Iterator[tuple[SandboxServer, httpx.Client]]:
    """A fast sandbox and a client on its /api/v1/public prefix."""
    with SandboxServer(fast_config()) as srv:
        base = srv.base_url.replace("/api/v2", "/api/v1/public")
        with httpx.Client(base_url=base, headers={"Authorization": f"Bearer {srv.api_key}"}) as c:
            yield srv, c


def wait_done(c: httpx.Client, workflow_id: str) -> dict[str, Any]:
    """Poll the legacy status until it is no longer processing."""
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        body: dict[str, Any] = c.get("/enrich/status", params={"workflow_id": workflow_id}).json()
        if body["status"] != "processing":
            return body
        time.sleep(0.005)
    raise AssertionError("legacy workflow did not finish")


def test_validate_key_and_legacy_401(v1: tuple[SandboxServer, httpx.Client]) -> None:
    """validate-key answers valid; a bad key gets FastAPI's {"detail": "Not authenticated"}."""
    srv, c = v1
    assert c.get("/auth/validate-key").json()["valid"] is True
    bad = httpx.get(srv.base_url.replace("/api/v2", "/api/v1/public") + "/auth/validate-key",
                    headers={"Authorization": "Bearer clapi_nope"})
    assert (bad.status_code, bad.json()) == (401, {"detail": "Not authenticated"})


def test_legacy_bulk_gives_one_task_per_contact(v1: tuple[SandboxServer, httpx.Client]) -> None:
    """enrich/bulk answers a public_bulk_ workflow and task ids in contact order; status by
    workflow and by task id report per-contact results; the charges match the ledger."""
    srv, c = v1
    started = c.post("/enrich/bulk", json={"enrichment_type": "full", "contacts": CONTACTS})
    body = started.json()
    assert started.status_code == 200
    assert body["workflow_id"].startswith("public_bulk_")
    assert (body["status"], body["total_contacts"], len(body["task_ids"])) == \
        ("processing", 3, 3)
    done = wait_done(c, body["workflow_id"])
    assert done["status"] == "completed"
    assert {r["task_id"] for r in done["results"]} == set(body["task_ids"])
    one = c.get("/enrich/status", params={"task_id": body["task_ids"][1]}).json()
    assert [r["prospect"]["last_name"] for r in one["results"]] == ["Ek"]
    charged = sum(ch["credits"] for ch in srv.ledger()["charges"]
                  if ch["workflow_id"] == body["workflow_id"])
    assert charged == done["credits_charged"]


@pytest.mark.parametrize(("contacts", "status"), [([], 400), ([{"email": "a@b.io"}], 422),
                                                  ([{"linkedin_url": "x"}] * 251, 400)])
def test_legacy_bulk_limits(v1: tuple[SandboxServer, httpx.Client],
                            contacts: list[dict[str, str]], status: int) -> None:
    """Empty or over 250 contacts is 400; a contact without the identifier rule is 422."""
    _, c = v1
    resp = c.post("/enrich/bulk", json={"contacts": contacts})
    assert resp.status_code == status
    assert "detail" in resp.json()


def test_legacy_status_needs_exactly_one_id(v1: tuple[SandboxServer, httpx.Client]) -> None:
    """enrich/status with both or neither of workflow_id and task_id is 400."""
    _, c = v1
    assert c.get("/enrich/status").status_code == 400
    both = c.get("/enrich/status", params={"workflow_id": "a", "task_id": "b"})
    assert both.status_code == 400


def test_legacy_insufficient_credits_is_402() -> None:
    """The legacy surface answers a low balance with 402 {"detail": "Insufficient credits"}."""
    with SandboxServer(fast_config(credits=5)) as srv:
        base = srv.base_url.replace("/api/v2", "/api/v1/public")
        resp = httpx.post(base + "/enrich/bulk", json={"enrichment_type": "full",
                                                       "contacts": CONTACTS},
                          headers={"Authorization": f"Bearer {srv.api_key}"})
    assert (resp.status_code, resp.json()) == (402, {"detail": "Insufficient credits"})


def test_legacy_paths_are_not_on_v2(v1: tuple[SandboxServer, httpx.Client]) -> None:
    """The legacy endpoints exist only under /api/v1/public."""
    srv, _ = v1
    resp = httpx.get(srv.base_url + "/auth/validate-key",
                     headers={"Authorization": f"Bearer {srv.api_key}"})
    assert resp.status_code == 404


def test_legacy_list_is_protected(v1: tuple[SandboxServer, httpx.Client]) -> None:
    """The legacy API's Extension Leads list cannot be renamed or deleted (403 list_protected)."""
    srv, c = v1
    c.post("/enrich/bulk", json={"contacts": CONTACTS[:1]})
    lists = c.get("/lead-lists").json()["lists"]
    list_id = next(x["list_id"] for x in lists if x["name"] == "Extension Leads")
    assert c.delete(f"/lead-lists/{list_id}").json()["error"]["code"] == "list_protected"
    assert c.patch(f"/lead-lists/{list_id}", json={"name": "x"}).status_code == 403


def test_list_cap() -> None:
    """Past the organisation's list cap, creating a list is 403 list_cap_reached."""
    with SandboxServer(fast_config(list_cap=2)) as srv:
        headers = {"Authorization": f"Bearer {srv.api_key}"}
        codes = [httpx.post(srv.base_url + "/lead-lists", json={"name": f"n{i}"},
                            headers=headers).status_code for i in range(3)]
    assert codes == [201, 201, 403]
