"""The bulk path: csv-import, estimate quotes, bulk runs, leads paging and by-task."""

from __future__ import annotations

import base64
from collections import Counter
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from csv_enrich.sandbox import SandboxServer

try:  # tests/ on sys.path (rootdir mode) or tests as a package
    from sandbox_helpers import client_for, fast_config, new_list, wait_terminal
except ModuleNotFoundError:
    from tests.sandbox_helpers import client_for, fast_config, new_list, wait_terminal


MAPPING = {"email": "Email", "first_name": "First", "last_name": "Last",
           "company_name": "Company", "linkedin_url": "LinkedIn"}


def csv_b64(rows: list[str], header: str = "Email,First,Last,Company,LinkedIn") -> str:
    """Base64 of a CSV made of a header and rows."""
    return base64.b64encode("\n".join([header, *rows]).encode()).decode()


def people(n: int, start: int = 0) -> list[str]:
    """n distinct CSV rows of people."""
    return [f"p{i}@co{i % 5}.io,F{i},L{i},Co,linkedin.com/in/p{i}" for i in range(start, start + n)]


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


def import_csv(client: httpx.Client, list_id: str, b64: str, **extra: Any) -> httpx.Response:
    """POST a csv-import with the default mapping (import only unless told)."""
    body = {"csv_content_base64": b64, "column_mapping": MAPPING, "dispatch_enrichment": False}
    body.update(extra)
    return client.post(f"/lead-lists/{list_id}/csv-import", json=body)


def test_import_counts_skips_and_dedups(client: httpx.Client) -> None:
    """In-upload duplicates and rows breaking the identifier rule are skipped and counted."""
    list_id = new_list(client, "skips")
    rows = [*people(3), "p1@co1.io,X,Y,Co,", ",Solo,,Co,", "z@q.io,A,B,C,linkedin.com/in/p2"]
    resp = import_csv(client, list_id, csv_b64(rows))
    body = resp.json()
    assert resp.status_code == 201
    assert (body["rows_parsed"], body["rows_imported"], body["rows_skipped"]) == (6, 3, 3)
    assert body["skip_reasons"] == {"duplicate_email": 1, "missing_required": 1,
                                    "duplicate_linkedin": 1}
    assert body["sample_skip_rows"] == [5, 6, 7]
    assert body["workflow_id"] is None
    assert client.get(f"/lead-lists/{list_id}").json()["lead_count"] == 3


def test_import_accepts_a_bom_and_full_name(client: httpx.Client) -> None:
    """A UTF-8 BOM is tolerated and full_name stands in for first + last."""
    list_id = new_list(client, "bom")
    text = "\ufeffName,Domain\nJane Doe,acme.io\n"
    b64 = base64.b64encode(text.encode()).decode()
    resp = client.post(f"/lead-lists/{list_id}/csv-import", json={
        "csv_content_base64": b64, "column_mapping": {"full_name": "Name",
                                                      "company_domain": "Domain"},
        "dispatch_enrichment": False})
    assert resp.json()["rows_imported"] == 1


def test_missing_column_names_the_header(client: httpx.Client) -> None:
    """A mapped header absent from the file is 400 missing_column with the header in details."""
    list_id = new_list(client, "missing-col")
    resp = client.post(f"/lead-lists/{list_id}/csv-import", json={
        "csv_content_base64": csv_b64(people(1)), "column_mapping": {"email": "Work Email"},
        "dispatch_enrichment": False})
    assert resp.status_code == 400
    err = resp.json()["error"]
    assert (err["code"], err["details"]["column"]) == ("missing_column", "Work Email")


def test_over_150_kb_is_413(client: httpx.Client) -> None:
    """A raw CSV over 150 KB is refused with 413."""
    list_id = new_list(client, "big")
    resp = import_csv(client, list_id, csv_b64(people(5000)))
    assert resp.status_code == 413


def test_rows_past_the_cap_are_skipped(client: httpx.Client) -> None:
    """Rows after the 600th are skipped as row_cap_exceeded."""
    list_id = new_list(client, "cap")
    body = import_csv(client, list_id, csv_b64(people(650))).json()
    assert (body["rows_imported"], body["skip_reasons"]) == (600, {"row_cap_exceeded": 50})


def test_dispatch_requires_enrichment_type(client: httpx.Client) -> None:
    """dispatch_enrichment defaults to true, which needs enrichment_type (400 otherwise)."""
    list_id = new_list(client, "dispatch-type")
    body = {"csv_content_base64": csv_b64(people(2)), "column_mapping": MAPPING}
    resp = client.post(f"/lead-lists/{list_id}/csv-import", json=body)
    assert resp.status_code == 400
    assert resp.json()["error"]["code"] == "validation_error"


def test_dispatching_import_runs_and_settles(server: SandboxServer, client: httpx.Client) -> None:
    """An import with dispatch runs a bulk workflow whose settlement matches the ledger."""
    list_id = new_list(client, "dispatch")
    resp = import_csv(client, list_id, csv_b64(people(40)), dispatch_enrichment=True,
                      enrichment_type="partial")
    body = resp.json()
    assert body["enrichment_status_url"] == f"/api/v2/enrichment/status/{body['workflow_id']}"
    done = wait_terminal(client, body["workflow_id"])
    assert (done["total"], done["processed"]) == (40, 40)
    assert done["credits_charged"] == done["summary"]["emails_found"] == done["completed"]
    ledger = server.ledger()
    mine = [c for c in ledger["charges"] if c["workflow_id"] == body["workflow_id"]]
    assert sum(c["credits"] for c in mine) == done["credits_charged"]


def test_idempotency_key_replays_without_reimport(client: httpx.Client) -> None:
    """The same idempotency_key replays the first answer and imports nothing more."""
    list_id = new_list(client, "idem-import")
    first = import_csv(client, list_id, csv_b64(people(5)), idempotency_key="idem-1").json()
    again = import_csv(client, list_id, csv_b64(people(9)), idempotency_key="idem-1").json()
    assert again["idempotency_replayed"] is True
    assert again["rows_imported"] == first["rows_imported"] == 5
    assert client.get(f"/lead-lists/{list_id}").json()["lead_count"] == 5


def test_kill_switch_answers_503() -> None:
    """With csv_import off the import endpoint answers 503, retryable."""
    with SandboxServer(fast_config(csv_import=False)) as srv, client_for(srv) as c:
        list_id = new_list(c)
        resp = import_csv(c, list_id, csv_b64(people(1)))
    assert resp.status_code == 503
    assert resp.json()["error"]["retryable"] is True


def estimate(client: httpx.Client, list_id: str, scope: str = "partial") -> dict[str, Any]:
    """An enrich_list quote for the list."""
    resp = client.post("/credits/estimate",
                       json={"tool": "enrich_list", "list_id": list_id, "scope": scope})
    assert resp.status_code == 200, resp.text
    body: dict[str, Any] = resp.json()
    return body


def test_estimate_prices_the_list(client: httpx.Client) -> None:
    """enrich_list is priced per lead by scope, and the quote expires in 5 minutes."""
    list_id = new_list(client, "estimate")
    import_csv(client, list_id, csv_b64(people(7)))
    quote = estimate(client, list_id, "phone-only")
    assert (quote["estimated_cost"], quote["row_count"], quote["sufficient"]) == (70, 7, True)
    assert quote["quote_id"].startswith("qte_")
    assert 299 <= quote["expires_at"] - int(quote["quote_id"].split("_")[2]) <= 300


def test_quote_single_use_and_bound(client: httpx.Client) -> None:
    """A quote runs its bulk call once (reuse 409) and not another scope (400 mismatch)."""
    list_id = new_list(client, "quote-rules")
    import_csv(client, list_id, csv_b64(people(4)))
    quote = estimate(client, list_id)["quote_id"]
    wrong = client.post("/enrichment/bulk", json={"list_id": list_id, "scope": "full",
                                                  "quote_id": quote})
    assert wrong.status_code == 400
    assert wrong.json()["error"]["code"] in ("quote_mismatch", "spend_cap_exceeded")
    ok = client.post("/enrichment/bulk", json={"list_id": list_id, "quote_id": quote})
    assert ok.status_code == 200
    reused = client.post("/enrichment/bulk", json={"list_id": list_id, "quote_id": quote})
    assert (reused.status_code, reused.json()["error"]["code"]) == (409, "quote_already_used")


def test_spend_cap_exceeded_when_list_grew(client: httpx.Client) -> None:
    """A list that grew after the quote costs more than its cap: 400 spend_cap_exceeded."""
    list_id = new_list(client, "spend-cap")
    import_csv(client, list_id, csv_b64(people(3)))
    quote = estimate(client, list_id)["quote_id"]
    import_csv(client, list_id, csv_b64(people(2, start=100)))
    resp = client.post("/enrichment/bulk", json={"list_id": list_id, "quote_id": quote})
    assert resp.json()["error"]["code"] == "spend_cap_exceeded"


def test_expired_quote_is_400() -> None:
    """A quote past its TTL is refused with 400 quote_expired."""
    with SandboxServer(fast_config(quote_ttl_s=-1)) as srv, client_for(srv) as c:
        list_id = new_list(c)
        import_csv(c, list_id, csv_b64(people(2)))
        quote = estimate(c, list_id)["quote_id"]
        resp = c.post("/enrichment/bulk", json={"list_id": list_id, "quote_id": quote})
    assert (resp.status_code, resp.json()["error"]["code"]) == (400, "quote_expired")


def test_forged_quote_is_a_mismatch(client: httpx.Client) -> None:
    """A quote id that was never issued is refused."""
    list_id = new_list(client, "forged")
    import_csv(client, list_id, csv_b64(people(1)))
    resp = client.post("/enrichment/bulk", json={"list_id": list_id,
                                                 "quote_id": "qte_v1_9999999999_abc"})
    assert resp.json()["error"]["code"] == "quote_mismatch"


def test_bulk_run_leads_finish_one_by_one() -> None:
    """Progress of a bulk run moves through intermediate values before completing."""
    with SandboxServer(fast_config(time_scale=0.05, bulk_parallelism=2)) as srv, \
            client_for(srv) as c:
        list_id = new_list(c)
        import_csv(c, list_id, csv_b64(people(12)))
        quote = estimate(c, list_id)["quote_id"]
        wf = c.post("/enrichment/bulk", json={"list_id": list_id, "quote_id": quote}).json()
        seen = set()
        while (body := c.get(f"/enrichment/status/{wf['workflow_id']}").json())["status"] != \
                "completed":
            seen.add((body["status"], body["processed"]))
    assert any(status == "running" and 0 < n < 12 for status, n in seen)


def test_leads_paging_with_cursor(client: httpx.Client) -> None:
    """Paging with limit and cursor yields every lead once, then a null cursor."""
    list_id = new_list(client, "paging")
    import_csv(client, list_id, csv_b64(people(23)))
    ids: list[str] = []
    cursor: str | None = None
    while True:
        params = {"limit": 10, **({"cursor": cursor} if cursor else {})}
        page = client.get(f"/lead-lists/{list_id}/leads", params=params).json()
        ids += [lead["lead_id"] for lead in page["leads"]]
        assert page["task_id"].startswith("cl-task_")
        cursor = page["cursor"]
        if cursor is None:
            break
    assert len(ids) == len(set(ids)) == 23


@pytest.mark.parametrize(("params", "status"), [({"limit": 501}, 422), ({"limit": 0}, 422),
                                                ({"cursor": "zz"}, 400)])
def test_leads_paging_bounds(client: httpx.Client, params: dict[str, Any], status: int) -> None:
    """limit outside 1..500 is a 422; a malformed cursor is a 400."""
    list_id = new_list(client, "bounds")
    assert client.get(f"/lead-lists/{list_id}/leads", params=params).status_code == status


def test_by_task_enriches_a_page_cohort(client: httpx.Client) -> None:
    """A leads page's task_id can be enriched by-task; Email+Phone reserves 11 per lead."""
    list_id = new_list(client, "cohort")
    import_csv(client, list_id, csv_b64(people(3)))
    page = client.get(f"/lead-lists/{list_id}/leads").json()
    resp = client.post("/enrichment/by-task", json={
        "task_id": page["task_id"], "data_points": ["Email", "Phone"], "lead_list_id": list_id})
    body = resp.json()
    assert (body["entity_kind"], body["credits_reserved"], body["total_entities"]) == \
        ("person", 33, 3)
    assert {r["status"] for r in body["results"]} == {"queued"}
    assert wait_terminal(client, body["workflow_id"])["status"] == "completed"


def test_no_identity_charged_twice_in_one_bulk_run(server: SandboxServer,
                                                   client: httpx.Client) -> None:
    """Within one bulk run each identity is charged at most once."""
    list_id = new_list(client, "once")
    import_csv(client, list_id, csv_b64(people(30)))
    quote = estimate(client, list_id, "full")["quote_id"]
    wf = client.post("/enrichment/bulk", json={"list_id": list_id, "scope": "full",
                                               "quote_id": quote}).json()
    wait_terminal(client, wf["workflow_id"])
    charges = [c for c in server.ledger()["charges"] if c["workflow_id"] == wf["workflow_id"]]
    assert max(Counter(c["identity"] for c in charges).values()) == 1
    assert {c["credits"] for c in charges} <= {1, 10, 11}


def test_failed_runs_settle_by_the_contract() -> None:
    """With failures on, a run fails halfway: charged leads hold the rest for review, else all
    of the reservation is swept back."""
    with SandboxServer(fast_config(workflow_failure_rate=1.0)) as srv, client_for(srv) as c:
        list_id = new_list(c)
        import_csv(c, list_id, csv_b64(people(20)))
        quote = estimate(c, list_id, "full")["quote_id"]
        wf = c.post("/enrichment/bulk", json={"list_id": list_id, "scope": "full",
                                              "quote_id": quote}).json()
        bulk = wait_terminal(c, wf["workflow_id"])
        person = c.post("/enrichment/person", json={"lead_list_id": list_id, "email": "f@a.io"})
        single = wait_terminal(c, person.json()["workflow_id"])
        ledger = srv.ledger()
    assert (bulk["status"], bulk["processed"], bulk["refund_status"]) == \
        ("failed", 10, "pending_review")
    assert bulk["credits_charged"] > 0
    assert bulk["credits_refunded"] == 0
    assert bulk["refund_message"]
    assert (single["status"], single["credits_charged"], single["credits_refunded"],
            single["refund_status"]) == ("failed", 0, 1, "not_applicable")
    held = sum(s["held"] for s in ledger["settlements"])
    assert ledger["balance"] == srv.config.credits - ledger["charged_total"] - held


def test_company_cohort_by_task_answers_inline(server: SandboxServer,
                                               client: httpx.Client) -> None:
    """A company cohort is enriched synchronously: records inline, about 1 credit per 10 found."""
    root = server.base_url.removesuffix("/api/v2")
    domains = [f"firm{i}.com" for i in range(12)] + ["nobody.invalid"]
    task = httpx.post(root + "/_sandbox/tasks", json={"entity_kind": "company",
                                                      "entity_ids": domains}).json()["task_id"]
    before = client.get("/credits/balance").json()["credits"]
    body = client.post("/enrichment/by-task", json={"task_id": task,
                                                    "data_points": ["Industry"]}).json()
    found = [r for r in body["results"] if r["status"] == "enriched"]
    assert (body["entity_kind"], body["status"], body["workflow_id"]) == \
        ("company", "completed", None)
    assert all(r["company"]["domain"] == r["entity_id"] for r in found)
    assert body["results"][-1] == {"entity_id": "nobody.invalid", "status": "failed",
                                   "error": "not_found", "company": None}
    assert body["credits_reserved"] == -(-len(found) // 10)
    assert before - client.get("/credits/balance").json()["credits"] == body["credits_reserved"]
    wrong = client.post("/enrichment/by-task", json={"task_id": task, "data_points": ["Email"]})
    assert wrong.status_code == 400


def test_quotes_for_import_person_and_cohort(client: httpx.Client) -> None:
    """bulk_import_csv, enrich_person and add_person_enrichments quotes redeem on their calls."""
    list_id = new_list(client, "quoted")
    q_import = client.post("/credits/estimate", json={
        "tool": "bulk_import_csv", "list_id": list_id, "row_count": 3,
        "enrichment_type": "phone_only"}).json()
    assert q_import["estimated_cost"] == 30
    imp = import_csv(client, list_id, csv_b64(people(3)), dispatch_enrichment=True,
                     enrichment_type="phone_only", quote_id=q_import["quote_id"])
    assert imp.status_code == 201
    q_person = client.post("/credits/estimate", json={"tool": "enrich_person",
                                                      "include_phone": True}).json()
    person = client.post("/enrichment/person", json={
        "lead_list_id": list_id, "email": "q@acme.io", "include_phone": True,
        "quote_id": q_person["quote_id"]})
    assert (person.status_code, person.json()["credits_reserved"]) == (200, 10)
    page = client.get(f"/lead-lists/{list_id}/leads").json()
    q_task = client.post("/credits/estimate", json={
        "tool": "add_person_enrichments", "task_id": page["task_id"],
        "data_points": ["Phone", "Email"]}).json()
    assert q_task["estimated_cost"] == 11 * page["total"]
    task = client.post("/enrichment/by-task", json={
        "task_id": page["task_id"], "data_points": ["Email", "Phone"],
        "quote_id": q_task["quote_id"]})
    assert task.status_code == 200


def test_import_quote_must_match_rows_imported(client: httpx.Client) -> None:
    """A CSV-import quote for fewer rows than imported is refused, and nothing is imported."""
    list_id = new_list(client, "quoted-rows")
    quote = client.post("/credits/estimate", json={
        "tool": "bulk_import_csv", "list_id": list_id, "row_count": 2,
        "enrichment_type": "partial"}).json()["quote_id"]
    resp = import_csv(client, list_id, csv_b64(people(3)), dispatch_enrichment=True,
                      enrichment_type="partial", quote_id=quote)
    assert resp.json()["error"]["code"] == "spend_cap_exceeded"
    assert client.get(f"/lead-lists/{list_id}").json()["lead_count"] == 0


def test_dispatch_without_credits_imports_nothing() -> None:
    """A dispatching import the balance cannot cover is 400 insufficient_credits, nothing stored."""
    with SandboxServer(fast_config(credits=2)) as srv, client_for(srv) as c:
        list_id = new_list(c)
        resp = import_csv(c, list_id, csv_b64(people(3)), dispatch_enrichment=True,
                          enrichment_type="partial")
        count = c.get(f"/lead-lists/{list_id}").json()["lead_count"]
    err = resp.json()["error"]
    assert (err["code"], err["shortfall_credits"], count) == ("insufficient_credits", 1, 0)
