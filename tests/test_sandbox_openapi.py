"""Every response the sandbox gives, for every endpoint, validated against the official OpenAPI.

Success bodies and 422s are checked against the schema the document declares for that operation
and status; other errors (which the document leaves out) against the error envelope of
CONTRACT.md §2.2. The document is read from the sibling ../shared/cleanlist/ of the checkout;
without it these tests are skipped.
"""

from __future__ import annotations

import base64
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from csv_enrich.sandbox import SandboxServer

try:  # tests/ on sys.path (rootdir mode) or tests as a package
    from sandbox_helpers import (
        client_for,
        fast_config,
        needs_openapi,
        new_list,
        operations,
        problems,
        template_of,
        wait_terminal,
    )
except ModuleNotFoundError:
    from tests.sandbox_helpers import (
        client_for,
        fast_config,
        needs_openapi,
        new_list,
        operations,
        problems,
        template_of,
        wait_terminal,
    )


pytestmark = needs_openapi

Seen = list[tuple[str, str, int, Any]]


@pytest.fixture(scope="module")
def recorded() -> Iterator[tuple[SandboxServer, Seen]]:
    """A sandbox and a list every response of a scenario touching each endpoint is added to."""
    seen: Seen = []

    def record(resp: httpx.Response) -> None:
        resp.read()
        seen.append((resp.request.method, resp.request.url.path, resp.status_code, resp.json()))

    with SandboxServer(fast_config()) as srv, client_for(srv) as c:
        c.event_hooks["response"] = [record]
        scenario(c)
        v1 = httpx.Client(base_url=srv.base_url.replace("/api/v2", "/api/v1/public"),
                          headers=c.headers, event_hooks={"response": [record]})
        with v1:
            scenario(v1)
        yield srv, seen


def scenario(c: httpx.Client) -> None:
    """Call every operation with good and bad input."""
    c.get("/whoami")
    c.get("/credits/balance")
    list_id = new_list(c, "oas")
    new_list(c, "oas")
    c.post("/lead-lists", json={"name": ""})
    c.get(f"/lead-lists/{list_id}")
    c.get("/lead-lists/list_nope")
    c.get("/lead-lists", params={"limit": 1})
    c.get("/lead-lists", params={"limit": 0})
    c.patch(f"/lead-lists/{list_id}", json={"description": "d"})
    c.patch(f"/lead-lists/{list_id}", json={})
    rows = "\n".join(["Email,Name,Company"] + [f"u{i}@acme.io,U {i},Acme" for i in range(6)])
    b64 = base64.b64encode(rows.encode()).decode()
    mapping = {"email": "Email", "full_name": "Name", "company_name": "Company"}
    c.post(f"/lead-lists/{list_id}/csv-import", json={
        "csv_content_base64": b64, "column_mapping": mapping, "dispatch_enrichment": False})
    c.post(f"/lead-lists/{list_id}/csv-import", json={"column_mapping": mapping})
    c.post(f"/lead-lists/{list_id}/csv-import", json={
        "csv_content_base64": b64, "column_mapping": {"email": "Nope"},
        "dispatch_enrichment": False})
    imp = c.post(f"/lead-lists/{list_id}/csv-import", json={
        "csv_content_base64": b64, "column_mapping": mapping, "enrichment_type": "partial",
        "idempotency_key": "oas-" + c.base_url.path}).json()
    wait_terminal(c, imp["workflow_id"])
    page = c.get(f"/lead-lists/{list_id}/leads", params={"limit": 2}).json()
    c.get(f"/lead-lists/{list_id}/leads", params={"limit": 900})
    quote = c.post("/credits/estimate", json={"tool": "enrich_list", "list_id": list_id}).json()
    c.post("/credits/estimate", json={"tool": "nope"})
    c.post("/credits/estimate", json={})
    bulk = c.post("/enrichment/bulk", json={"list_id": list_id, "quote_id": quote["quote_id"]})
    c.post("/enrichment/bulk", json={"list_id": list_id, "quote_id": quote["quote_id"]})
    c.post("/enrichment/bulk", json={"list_id": list_id, "scope": "phone_only", "quote_id": "q"})
    wait_terminal(c, bulk.json()["workflow_id"])
    c.get(f"/enrichment/status/{bulk.json()['task_id']}")
    c.get("/enrichment/status/nope")
    person = c.post("/enrichment/person", json={"lead_list_id": list_id,
                                                "email": "jane@acme.io",
                                                "enrichment_type": "full"}).json()
    wait_terminal(c, person["workflow_id"])
    c.post("/enrichment/person", json={"lead_list_id": list_id})
    c.post("/enrichment/person", json={"email": 3})
    c.post("/enrichment/company", json={"domain": "stripe.com"})
    c.post("/enrichment/company", json={"domain": "gone.invalid"})
    c.post("/enrichment/company", json={"ticker": "X"})
    task = c.post("/enrichment/by-task", json={"task_id": page["task_id"],
                                               "data_points": ["Email"]}).json()
    wait_terminal(c, task["workflow_id"])
    c.post("/enrichment/by-task", json={"task_id": page["task_id"]})
    root = str(c.base_url).split("/api/")[0]
    firms = httpx.post(root + "/_sandbox/tasks", json={"entity_ids": ["stripe.com", "x.invalid"]})
    c.post("/enrichment/by-task", json={"task_id": firms.json()["task_id"],
                                        "data_points": ["Industry", "Domain"]})
    lead_ids = [lead["lead_id"] for lead in page["leads"]]
    other = new_list(c, "oas-other")
    c.post(f"/lead-lists/{other}/leads", json={"lead_ids": lead_ids, "idempotency_key": "k"})
    c.post(f"/lead-lists/{other}/leads", json={"task_id": page["task_id"]})
    c.post(f"/lead-lists/{other}/leads", json={"lead_ids": lead_ids, "task_id": "x"})
    c.request("DELETE", f"/lead-lists/{other}/leads", json={"lead_ids": lead_ids[:1]})
    c.request("DELETE", f"/lead-lists/{other}/leads", json={"lead_ids": ["x"] * 101})
    c.get("/export/json", params={"list_id": list_id, "limit": 2,
                                  "columns": ["email", "email_status"]})
    c.get("/export/json", params={"list_id": list_id, "cursor": "bad"})
    c.get("/export/json")
    c.post("/export/csv/signed-url", json={"list_id": list_id})
    c.get("/api-keys")
    c.get("/usage", params={"group_by": "tool"})
    c.get("/usage", params={"days": 0})
    c.post("/smart-agents/run", json={})
    c.get("/smart-agents")
    c.get("/smart-agents/run_1")
    c.delete(f"/lead-lists/{other}")
    c.delete(f"/lead-lists/{other}")


def test_every_operation_is_exercised(recorded: tuple[SandboxServer, Seen]) -> None:
    """The scenario reaches every operation of the document on both prefixes."""
    _, seen = recorded
    hit = {(m, template_of(m, p)) for m, p, _, _ in seen}
    assert hit == set(operations())
    assert any("/api/v1/public/" in p for _, p, _, _ in seen)


def test_every_response_matches_the_document(recorded: tuple[SandboxServer, Seen]) -> None:
    """Each recorded body validates against its declared schema (or the error envelope)."""
    _, seen = recorded
    assert len(seen) > 100
    found = [p for method, path, status, body in seen for p in problems(method, path, status, body)]
    assert not found, "\n".join(found[:20])


def test_statuses_cover_success_and_errors(recorded: tuple[SandboxServer, Seen]) -> None:
    """The scenario saw 200, 201, 400, 404, 409, 422 and 501 answers."""
    statuses = {s for _, _, s, _ in recorded[1]}
    assert {200, 201, 400, 404, 409, 422, 501} <= statuses


def test_the_checker_catches_a_wrong_body() -> None:
    """The validation is real: a whoami without required fields or with an extra key fails."""
    assert problems("GET", "/api/v2/whoami", 200, {"organization_id": "o", "x": 1})
    assert problems("POST", "/api/v2/enrichment/person", 422, {"detail": [{"loc": []}]})
    assert problems("GET", "/api/v2/whoami", 401, {"error": {"code": "x"}})
