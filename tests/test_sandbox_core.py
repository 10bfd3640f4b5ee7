"""The issue-2 subset of the sandbox over loopback HTTP: auth, lists, person, company, status."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from csv_enrich.sandbox import SandboxServer

try:  # tests/ on sys.path (rootdir mode) or tests as a package
    from sandbox_helpers import client_for, fast_config, new_list, wait_terminal
except ModuleNotFoundError:
    from tests.sandbox_helpers import client_for, fast_config, new_list, wait_terminal


@pytest.fixture(scope="module")
def server() -> Iterator[SandboxServer]:
    """One fast sandbox for the module."""
    with SandboxServer(fast_config()) as srv:
        yield srv


@pytest.fixture
def client(server: SandboxServer) -> Iterator[httpx.Client]:
    """An authenticated client on /api/v2."""
    with client_for(server) as c:
        yield c


def test_base_url_and_key_shape(server: SandboxServer) -> None:
    """The server exposes a loopback /api/v2 base URL and a clapi_ key."""
    assert server.base_url.startswith("http://127.0.0.1:")
    assert server.base_url.endswith("/api/v2")
    assert server.api_key.startswith("clapi_")


def test_whoami_and_balance(client: httpx.Client) -> None:
    """whoami names the organisation and balance is a whole number of credits."""
    who = client.get("/whoami").json()
    assert who["auth_type"] == "api_key"
    assert "enrich:write" in who["scopes"]
    bal = client.get("/credits/balance").json()
    assert bal["organization_id"] == who["organization_id"]
    assert isinstance(bal["credits"], int)


def test_v1_public_prefix_serves_the_same_handlers(server: SandboxServer) -> None:
    """The legacy /api/v1/public prefix answers like /api/v2."""
    url = server.base_url.replace("/api/v2", "/api/v1/public") + "/whoami"
    resp = httpx.get(url, headers={"Authorization": f"Bearer {server.api_key}"})
    assert resp.status_code == 200


@pytest.mark.parametrize("header", [None, "Bearer clapi_nope", "Basic abc", "clapi_x"])
def test_bad_credentials_get_401_envelope(server: SandboxServer, header: str | None) -> None:
    """A missing, unknown or malformed key gets 401 with the error envelope."""
    headers = {"Authorization": header} if header else {}
    resp = httpx.get(server.base_url + "/credits/balance", headers=headers)
    assert resp.status_code == 401
    err = resp.json()["error"]
    assert err["code"] == "unauthorized"
    assert err["request_id"].startswith("req_")
    assert err["docs_url"].endswith("/unauthorized")


def test_create_list_is_idempotent_on_name(client: httpx.Client) -> None:
    """Creating a list twice by name (any case) gives 201 then 200 reused with the same id."""
    first = client.post("/lead-lists", json={"name": "Idem List"})
    again = client.post("/lead-lists", json={"name": "idem list"})
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["reused"] is True
    assert again.json()["list_id"] == first.json()["list_id"]


def test_unknown_list_is_404(client: httpx.Client) -> None:
    """Getting a list that does not exist answers 404 not_found."""
    resp = client.get("/lead-lists/list_missing")
    assert resp.status_code == 404
    assert resp.json()["error"]["code"] == "not_found"


def test_person_workflow_reserves_then_settles(server: SandboxServer, client: httpx.Client) -> None:
    """A full person run reserves 11, completes, and charges exactly what the ledger records."""
    list_id = new_list(client, "person-run")
    before = client.get("/credits/balance").json()["credits"]
    started = client.post("/enrichment/person", json={
        "lead_list_id": list_id, "linkedin_url": "linkedin.com/in/Jane-Doe",
        "enrichment_type": "full"})
    assert started.status_code == 200
    body = started.json()
    assert (body["status"], body["credits_reserved"]) == ("pending", 11)
    done = wait_terminal(client, body["workflow_id"])
    assert done["status"] == "completed"
    assert done["credits_charged"] + done["credits_refunded"] == 11
    after = client.get("/credits/balance").json()["credits"]
    assert before - after == done["credits_charged"]
    charges = [c for c in server.ledger()["charges"] if c["workflow_id"] == body["workflow_id"]]
    assert sum(c["credits"] for c in charges) == done["credits_charged"]
    assert done["result"]["linkedin_url"] == "https://www.linkedin.com/in/jane-doe"


def test_same_person_gets_same_answer(client: httpx.Client) -> None:
    """The synthetic data is a function of the normalised identity."""
    list_id = new_list(client, "determinism")
    results = []
    for email in ("Max.Power@Initech.com", " max.power@initech.com "):
        body = {"lead_list_id": list_id, "email": email}
        wf = client.post("/enrichment/person", json=body).json()
        results.append(wait_terminal(client, wf["workflow_id"])["result"])
    assert results[0] == results[1]


def test_identifier_rule_is_a_400_validation_error(client: httpx.Client) -> None:
    """A first name alone breaks the identifier rule: 400 validation_error, nothing reserved."""
    list_id = new_list(client, "rule")
    resp = client.post("/enrichment/person", json={"lead_list_id": list_id, "first_name": "Ann"})
    assert resp.status_code == 400
    assert resp.json()["error"]["code"] == "validation_error"


def test_schema_violations_are_422_detail(client: httpx.Client) -> None:
    """Unknown keys, wrong types, enum violations and missing fields give the 422 detail array."""
    resp = client.post("/enrichment/person", json={"bogus": 1, "email": 5, "enrichment_type": "x"})
    assert resp.status_code == 422
    types = {(tuple(d["loc"]), d["type"]) for d in resp.json()["detail"]}
    assert types == {
        (("body", "lead_list_id"), "missing"), (("body", "email"), "string_type"),
        (("body", "enrichment_type"), "literal_error"), (("body", "bogus"), "extra_forbidden"),
    }


def test_company_found_costs_one_and_unknown_is_free(client: httpx.Client) -> None:
    """A known company costs 1 credit inline; an unknown domain is 404 not_found and free."""
    before = client.get("/credits/balance").json()["credits"]
    ok = client.post("/enrichment/company", json={"domain": "https://www.stripe.com/about"})
    assert ok.status_code == 200
    assert ok.json()["credits_charged"] == 1
    assert ok.json()["company"]["domain"] == "stripe.com"
    missing = client.post("/enrichment/company", json={"domain": "nobody.invalid"})
    assert missing.status_code == 404
    assert missing.json()["error"]["code"] == "not_found"
    assert before - client.get("/credits/balance").json()["credits"] == 1


def test_insufficient_credits_names_the_shortfall() -> None:
    """Submitting with too few credits answers 400 insufficient_credits with the three figures."""
    with SandboxServer(fast_config(credits=5)) as srv, client_for(srv) as c:
        list_id = new_list(c)
        resp = c.post("/enrichment/person", json={
            "lead_list_id": list_id, "email": "a@b.co", "enrichment_type": "full"})
    err = resp.json()["error"]
    assert resp.status_code == 400
    assert (err["code"], err["estimated_cost_credits"], err["available_credits"],
            err["shortfall_credits"]) == ("insufficient_credits", 11, 5, 6)


def test_status_unknown_workflow_is_404(client: httpx.Client) -> None:
    """Polling a workflow id that does not exist answers 404."""
    assert client.get("/enrichment/status/enrich-nope").status_code == 404


def test_status_accepts_the_cohort_handle(client: httpx.Client) -> None:
    """The cl-task_ handle from a person submission resolves to its workflow."""
    list_id = new_list(client, "handle")
    body = {"lead_list_id": list_id, "email": "h@acme.io"}
    wf = client.post("/enrichment/person", json=body).json()
    body = client.get(f"/enrichment/status/{wf['task_id']}").json()
    assert body["workflow_id"] == wf["workflow_id"]
