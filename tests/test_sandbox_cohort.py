"""The sandbox's cohorts: by-task validation as the API does it, quotes bound to the cohort,
cohort handles resolved by the status endpoint, and a company cohort ready for trying.
Every answer is checked against the official OpenAPI document (client_for)."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from csv_enrich.sandbox import SandboxServer
from tests.sandbox_helpers import client_for, fast_config, new_list, wait_terminal
from tests.test_sandbox_bulk import csv_b64, import_csv, people


@pytest.fixture(scope="module")
def server() -> Iterator[SandboxServer]:
    with SandboxServer(fast_config()) as srv:
        yield srv


@pytest.fixture
def client(server: SandboxServer) -> Iterator[httpx.Client]:
    with client_for(server) as c:
        yield c


def page_cohort(client: httpx.Client, n: int) -> dict[str, object]:
    list_id = new_list(client, f"cohort-{n}")
    import_csv(client, list_id, csv_b64(people(n)))
    return dict(client.get(f"/lead-lists/{list_id}/leads").json())


@pytest.mark.parametrize(("ids", "says"), [
    ([], "strict subset"), (["ALL"], "strict subset"), (["FIRST", "FIRST"], "strict subset"),
    (["lead_stranger"], "belong to the task's cohort")])
def test_entity_ids_must_be_a_strict_subset(client: httpx.Client, ids: list[str],
                                            says: str) -> None:
    """Empty, the whole cohort, repeats or strangers: 400 validation_error, nothing reserved,
    on the estimate and on the paid call alike."""
    page = page_cohort(client, 3)
    leads = [str(lead["lead_id"]) for lead in page["leads"]]
    ids = leads if ids == ["ALL"] else [leads[0] if i == "FIRST" else i for i in ids]
    before = client.get("/credits/balance").json()["credits"]
    body = {"task_id": page["task_id"], "data_points": ["Email"], "entity_ids": ids}
    paid = client.post("/enrichment/by-task", json=body)
    quote = client.post("/credits/estimate", json={"tool": "add_person_enrichments", **body})
    for resp in (paid, quote):
        assert resp.status_code == 400
        assert resp.json()["error"]["code"] == "validation_error"
        assert says in resp.json()["error"]["problem"]
    assert client.get("/credits/balance").json()["credits"] == before


def test_a_strict_subset_is_quoted_and_enriched(client: httpx.Client) -> None:
    """Two of three entities: the quote prices two, the run reserves two, the list gets two."""
    page = page_cohort(client, 3)
    two = [str(lead["lead_id"]) for lead in page["leads"]][:2]
    body = {"task_id": page["task_id"], "data_points": ["Phone"], "entity_ids": two}
    quote = client.post("/credits/estimate", json={"tool": "add_person_enrichments", **body})
    assert quote.json()["estimated_cost"] == 20
    run = client.post("/enrichment/by-task", json={**body, "quote_id": quote.json()["quote_id"]})
    assert (run.json()["credits_reserved"], run.json()["total_entities"]) == (20, 2)


def test_estimate_refuses_points_of_the_other_kind(server: SandboxServer,
                                                   client: httpx.Client) -> None:
    """Company points on a person cohort, or the person tool on a company cohort: 400."""
    page = page_cohort(client, 2)
    wrong_points = client.post("/credits/estimate", json={
        "tool": "add_person_enrichments", "task_id": page["task_id"], "data_points": ["Industry"]})
    assert "data_points for a person task" in wrong_points.json()["error"]["problem"]
    wrong_tool = client.post("/credits/estimate", json={
        "tool": "add_person_enrichments", "task_id": "cl-task_sandbox_companies",
        "data_points": ["Industry"]})
    assert wrong_tool.status_code == 400
    assert "company cohort" in wrong_tool.json()["error"]["problem"]


def test_status_resolves_the_cohort_handle_to_its_workflow(client: httpx.Client) -> None:
    """GET /enrichment/status/{cl-task_...} answers for the workflow bound at dispatch."""
    page = page_cohort(client, 2)
    run = client.post("/enrichment/by-task", json={"task_id": page["task_id"],
                                                    "data_points": ["Email"]}).json()
    wait_terminal(client, run["workflow_id"])
    by_handle = client.get(f"/enrichment/status/{page['task_id']}").json()
    assert by_handle["workflow_id"] == run["workflow_id"]
    assert by_handle["status"] == "completed"


def test_a_fresh_sandbox_holds_a_company_cohort(client: httpx.Client) -> None:
    """cl-task_sandbox_companies: companies to try `csv-enrich task` on, one not found."""
    body = client.post("/enrichment/by-task", json={"task_id": "cl-task_sandbox_companies",
                                                    "data_points": ["Industry"]}).json()
    assert body["entity_kind"] == "company"
    assert len(body["results"]) == 8
    assert body["results"][-1]["error"] == "not_found"


def test_a_by_task_call_refused_for_credits_leaves_its_quote_unused() -> None:
    """insufficient_credits (400) and nothing reserved; after a top-up the same quote runs, so a
    client that resends it after the refusal is not told "already used"."""
    with SandboxServer(fast_config(credits=5)) as srv, client_for(srv) as c:
        page = page_cohort(c, 3)
        body = {"task_id": page["task_id"], "data_points": ["Email", "Phone"]}
        quote = c.post("/credits/estimate", json={"tool": "add_person_enrichments", **body})
        refused = c.post("/enrichment/by-task", json={**body, "quote_id": quote.json()["quote_id"]})
        assert refused.json()["error"]["code"] == "insufficient_credits"
        assert c.get("/credits/balance").json()["credits"] == 5
        root = srv.base_url.removesuffix("/api/v2")
        httpx.post(root + "/_sandbox/config", json={"credits": 100})
        again = c.post("/enrichment/by-task", json={**body, "quote_id": quote.json()["quote_id"]})
        assert (again.status_code, again.json()["credits_reserved"]) == (200, 33)
