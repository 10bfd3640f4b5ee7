"""The legacy 5-endpoint API under /api/v1/public (CONTRACT.md §9), over loopback HTTP."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from csv_enrich.sandbox import SandboxServer

try:  # tests/ on sys.path (rootdir mode) or tests as a package
    from sandbox_helpers import client_for, fast_config
except ModuleNotFoundError:
    from tests.sandbox_helpers import client_for, fast_config

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


def v1_client(srv: SandboxServer) -> httpx.Client:
    """A client on the server's /api/v1/public prefix."""
    return httpx.Client(base_url=srv.base_url.replace("/api/v2", "/api/v1/public"),
                        headers={"Authorization": f"Bearer {srv.api_key}"})


def charged(srv: SandboxServer, workflow_id: str) -> int:
    """What the sandbox's ledger has charged the workflow so far."""
    return sum(ch["credits"] for ch in srv.ledger()["charges"] if ch["workflow_id"] == workflow_id)


def test_legacy_run_reserves_nothing_and_charges_each_contact_as_it_completes() -> None:
    """Assumption 23: the balance is untouched by the submission; every completed contact is
    charged by what was found, so the balance falls by exactly the ledger's charges."""
    with SandboxServer(fast_config(time_scale=0.05)) as srv, v1_client(srv) as c:
        before = c.get("/credits/balance").json()["credits"]
        body = c.post("/enrich/bulk", json={"enrichment_type": "full",
                                            "contacts": CONTACTS}).json()
        charged_before = charged(srv, body["workflow_id"])  # contacts may complete meanwhile:
        now = c.get("/credits/balance").json()["credits"]  # the balance is read between two
        assert before - charged(srv, body["workflow_id"]) <= now <= before - charged_before
        done = wait_done(c, body["workflow_id"])  # ledger reads (regression: flaky under load)
        charges = [ch for ch in srv.ledger()["charges"]
                   if ch["workflow_id"] == body["workflow_id"]]
        found = sum((1 if r["primary_email"] else 0) + 10 * len(r["personal_phone_numbers"])
                    for r in done["results"])
        assert sum(ch["credits"] for ch in charges) == found == done["credits_charged"]
        assert c.get("/credits/balance").json()["credits"] == before - found


def test_legacy_status_envelope_and_results_in_task_order() -> None:
    """Assumption 24: results in task_ids order, each processing until its task ends, then
    completed (primary_email null when nothing was found); ?task_id= gives that one result."""
    with SandboxServer(fast_config(time_scale=0.05)) as srv, v1_client(srv) as c:
        contacts = [{"linkedin_url": f"https://linkedin.com/in/person-{i}"} for i in range(12)]
        body = c.post("/enrich/bulk", json={"contacts": contacts}).json()
        first = c.get("/enrich/status", params={"workflow_id": body["workflow_id"]}).json()
        assert first["status"] == "processing"
        assert {r["status"] for r in first["results"]} <= {"processing", "completed"}
        done = wait_done(c, body["workflow_id"])
        assert [r["task_id"] for r in done["results"]] == body["task_ids"]
        assert {r["status"] for r in done["results"]} == {"completed"}
        assert set(done) >= {"workflow_id", "status", "lead_list_id", "enrichment_type",
                             "summary", "results", "results_truncated", "credits_charged"}
        assert done["summary"]["total"] == 12
        statuses = {r["primary_email_status"] for r in done["results"] if r["primary_email"]}
        assert statuses <= {"reliable", "risky", "unknown"}
        assert any(r["primary_email"] is None for r in done["results"])  # found nothing
        one = c.get("/enrich/status", params={"task_id": body["task_ids"][5]}).json()
        assert [r["task_id"] for r in one["results"]] == [body["task_ids"][5]]


def test_a_legacy_run_on_the_v2_status_reports_no_settlement() -> None:
    """Assumption 25: the v2 status of a legacy workflow has credits_charged and
    credits_refunded null and no per-lead result (and still matches the OpenAPI document)."""
    with SandboxServer(fast_config()) as srv, v1_client(srv) as c, client_for(srv) as v2:
        body = c.post("/enrich/bulk", json={"enrichment_type": "full",
                                            "contacts": CONTACTS}).json()
        wait_done(c, body["workflow_id"])
        st = v2.get(f"/enrichment/status/{body['workflow_id']}").json()
    assert st["status"] == "completed"
    assert (st["credits_charged"], st["credits_refunded"], st["result"]) == (None, None, None)


def test_legacy_balance_check_is_the_highest_price_of_the_type() -> None:
    """Exactly enough for every contact at the type's highest price starts the run; one credit
    less is 402 and starts nothing."""
    for credits, status in ((33, 200), (32, 402)):
        with SandboxServer(fast_config(credits=credits)) as srv, v1_client(srv) as c:
            resp = c.post("/enrich/bulk", json={"enrichment_type": "full", "contacts": CONTACTS})
            assert resp.status_code == status
            assert len(srv.ledger()["requests"]) == 1


def test_tasks_of_a_failed_legacy_run_end_failed_unpaid() -> None:
    """When the run fails halfway, the contacts it did not reach end failed and are not
    charged."""
    with SandboxServer(fast_config(workflow_failure_rate=1.0)) as srv, v1_client(srv) as c:
        contacts = [{"linkedin_url": f"https://linkedin.com/in/p-{i}"} for i in range(6)]
        body = c.post("/enrich/bulk", json={"enrichment_type": "partial",
                                            "contacts": contacts}).json()
        done = wait_done(c, body["workflow_id"])
        charged = sum(ch["credits"] for ch in srv.ledger()["charges"])
    assert done["status"] == "failed"
    states = [r["status"] for r in done["results"]]
    assert states.count("failed") == 3
    assert charged == sum(1 for r in done["results"] if r["primary_email"]) == \
        done["credits_charged"]


def test_legacy_errors_keep_the_fastapi_shape_for_429_and_5xx() -> None:
    """A 429 (with Retry-After) and a 5xx on the legacy surface answer {"detail": "..."}."""
    with SandboxServer(fast_config(rate_limit_per_min=1)) as srv, v1_client(srv) as c:
        answers = [c.get("/auth/validate-key") for _ in range(3)]
        limited = next(a for a in answers if a.status_code == 429)
    assert set(limited.json()) == {"detail"}
    assert int(limited.headers["retry-after"]) >= 1
    with SandboxServer(fast_config(fault_rate=1.0, fault_weights={"5xx": 1.0})) as srv, \
            v1_client(srv) as c:
        failed = c.get("/enrich/status", params={"workflow_id": "x"})
    assert failed.status_code in (500, 502, 503)
    assert set(failed.json()) == {"detail"}
