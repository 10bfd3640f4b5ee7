"""Lists index, patch/delete, leads add/remove, export/json, api-keys, usage and the 501s."""

from __future__ import annotations

import base64
from collections.abc import Iterator

import httpx
import pytest

from csv_enrich.sandbox import SandboxServer

try:  # tests/ on sys.path (rootdir mode) or tests as a package
    from sandbox_helpers import client_for, fast_config, new_list, wait_terminal
except ModuleNotFoundError:
    from tests.sandbox_helpers import client_for, fast_config, new_list, wait_terminal


@pytest.fixture
def client() -> Iterator[httpx.Client]:
    """A client on a fresh fast sandbox."""
    with SandboxServer(fast_config()) as srv, client_for(srv) as c:
        yield c


def filled_list(c: httpx.Client, name: str, n: int) -> tuple[str, list[str]]:
    """A list with n imported people; returns its id and lead ids."""
    list_id = new_list(c, name)
    text = "Email\n" + "\n".join(f"m{i}@acme.io" for i in range(n))
    c.post(f"/lead-lists/{list_id}/csv-import", json={
        "csv_content_base64": base64.b64encode(text.encode()).decode(),
        "column_mapping": {"email": "Email"}, "dispatch_enrichment": False})
    page = c.get(f"/lead-lists/{list_id}/leads", params={"limit": 500}).json()
    return list_id, [lead["lead_id"] for lead in page["leads"]]


def test_lists_index_pages(client: httpx.Client) -> None:
    """GET /lead-lists pages through every list with limit and cursor."""
    for i in range(5):
        new_list(client, f"l{i}")
    first = client.get("/lead-lists", params={"limit": 3}).json()
    rest = client.get("/lead-lists", params={"limit": 3, "cursor": first["cursor"]}).json()
    assert first["total"] == 5
    assert len(first["lists"]) + len(rest["lists"]) == 5
    assert rest["cursor"] is None


def test_patch_changes_only_what_is_sent(client: httpx.Client) -> None:
    """PATCH renames and clears the description; omitted fields stay; empty body is 422."""
    list_id = client.post("/lead-lists", json={"name": "a", "description": "d"}).json()["list_id"]
    renamed = client.patch(f"/lead-lists/{list_id}", json={"name": "b"}).json()
    assert (renamed["name"], renamed["description"]) == ("b", "d")
    cleared = client.patch(f"/lead-lists/{list_id}", json={"description": None}).json()
    assert (cleared["name"], cleared["description"]) == ("b", None)
    assert client.patch(f"/lead-lists/{list_id}", json={}).status_code == 422
    assert client.patch(f"/lead-lists/{list_id}", json={"name": None}).status_code == 422


def test_delete_then_again_is_404(client: httpx.Client) -> None:
    """Deleting a list answers deleted=true; a second delete is 404."""
    list_id = new_list(client, "gone")
    assert client.delete(f"/lead-lists/{list_id}").json()["deleted"] is True
    assert client.delete(f"/lead-lists/{list_id}").status_code == 404


def test_add_leads_by_ids_and_cohort_with_idempotency(client: httpx.Client) -> None:
    """Leads are added by id or cohort; duplicates are skipped; a repeated key adds nothing."""
    source, ids = filled_list(client, "src", 4)
    target = new_list(client, "dst")
    first = client.post(f"/lead-lists/{target}/leads",
                        json={"lead_ids": ids[:2], "idempotency_key": "k1"}).json()
    replay = client.post(f"/lead-lists/{target}/leads",
                         json={"lead_ids": ids, "idempotency_key": "k1"}).json()
    assert (first["added"], replay["added"]) == (2, 2)
    page = client.get(f"/lead-lists/{target}/leads").json()
    assert page["total"] == 2
    src_page = client.get(f"/lead-lists/{source}/leads").json()
    cohort = client.post(f"/lead-lists/{target}/leads",
                         json={"task_id": src_page["task_id"]}).json()
    assert (cohort["added"], cohort["skipped_duplicates"]) == (2, 2)
    both = client.post(f"/lead-lists/{target}/leads", json={"lead_ids": ids, "task_id": "x"})
    assert both.status_code == 422


def test_remove_leads_membership_only(client: httpx.Client) -> None:
    """Removing leads takes them off the list only; unknown ids are no-ops; >100 ids is 422."""
    list_id, ids = filled_list(client, "rm", 3)
    resp = client.request("DELETE", f"/lead-lists/{list_id}/leads",
                          json={"lead_ids": [ids[0], "lead_unknown"]})
    assert resp.json()["removed"] == 1
    assert client.get(f"/lead-lists/{list_id}").json()["lead_count"] == 2
    too_many = client.request("DELETE", f"/lead-lists/{list_id}/leads",
                              json={"lead_ids": ["x"] * 101})
    assert too_many.status_code == 422


def test_export_json_offers_email_status(client: httpx.Client) -> None:
    """export/json returns chosen columns, including email_status after a run."""
    list_id, _ = filled_list(client, "export", 6)
    imp = client.post("/credits/estimate", json={"tool": "enrich_list", "list_id": list_id})
    wf = client.post("/enrichment/bulk", json={"list_id": list_id,
                                               "quote_id": imp.json()["quote_id"]}).json()
    wait_terminal(client, wf["workflow_id"])
    body = client.get("/export/json", params={"list_id": list_id,
                                              "columns": "email,email_status"}).json()
    assert body["total"] == 6
    assert all(set(row) == {"email", "email_status"} for row in body["leads"])
    found = [row for row in body["leads"] if row["email"]]
    assert found
    assert all(row["email_status"] for row in found)
    bad = client.get("/export/json", params={"list_id": list_id, "columns": "nope"})
    assert bad.status_code == 400


def test_api_keys_never_show_the_secret(client: httpx.Client) -> None:
    """GET /api-keys lists the prefix and last four characters only."""
    keys = client.get("/api-keys").json()["keys"]
    secret = client.headers["Authorization"].split()[1]
    assert keys[0]["key_last4"] == secret[-4:]
    assert secret not in str(keys)


def test_usage_counts_requests(client: httpx.Client) -> None:
    """GET /usage counts earlier requests by path."""
    client.get("/whoami")
    usage = client.get("/usage").json()
    assert usage["total_calls"] == 1
    assert any(row["group"] == "/api/v2/whoami" for row in usage["rows"])


@pytest.mark.parametrize(("method", "path"), [("POST", "/smart-agents/run"),
                                              ("GET", "/smart-agents"),
                                              ("GET", "/smart-agents/run_1"),
                                              ("POST", "/export/csv/signed-url")])
def test_unsimulated_endpoints_are_501(client: httpx.Client, method: str, path: str) -> None:
    """Smart agents and CSV export links answer 501 with the error envelope."""
    body = {"list_id": "x"} if "export" in path else None
    resp = client.request(method, path, json=body)
    assert resp.status_code == 501
    assert resp.json()["error"]["code"] == "not_implemented"
