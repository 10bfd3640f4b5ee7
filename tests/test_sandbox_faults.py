"""Rate limits, faults, scopes, the kill switch and latency, over real loopback HTTP."""

from __future__ import annotations

import time

import httpx
import pytest

from csv_enrich.sandbox import SandboxServer

try:  # tests/ on sys.path (rootdir mode) or tests as a package
    from sandbox_helpers import client_for, fast_config, new_list
except ModuleNotFoundError:
    from tests.sandbox_helpers import client_for, fast_config, new_list


def mint_key(server: SandboxServer, scopes: list[str], **extra: object) -> str:
    """A new key with these scopes, through the /_sandbox control API."""
    root = server.base_url.removesuffix("/api/v2")
    resp = httpx.post(root + "/_sandbox/keys", json={"scopes": scopes, **extra})
    assert resp.status_code == 201
    return str(resp.json()["api_key"])


def test_per_key_limit_answers_429_with_retry_after() -> None:
    """Past the per-key bucket the API answers 429 rate_limited with Retry-After and ms."""
    with SandboxServer(fast_config(rate_limit_per_min=3, org_rate_limit_per_min=60)) as srv, \
            client_for(srv) as c:
        statuses = [c.get("/credits/balance").status_code for _ in range(3)]
        limited = c.get("/enrichment/status/whatever")
    assert statuses == [200, 200, 200]
    assert limited.status_code == 429
    err = limited.json()["error"]
    assert (err["code"], err["retryable"]) == ("rate_limited", True)
    assert 0 < err["retry_after_ms"] <= 20_000
    assert limited.headers["Retry-After"] == str(-(-err["retry_after_ms"] // 1000))


def test_org_limit_is_shared_by_keys_and_sandbox_paths_are_free() -> None:
    """Two keys share the organisation bucket; /_sandbox calls do not count."""
    with SandboxServer(fast_config(rate_limit_per_min=3, org_rate_limit_per_min=4)) as srv:
        other = mint_key(srv, ["credits:read"])
        with client_for(srv) as a, client_for(srv, other) as b:
            got = [a.get("/credits/balance").status_code for _ in range(3)]
            srv.ledger()
            httpx.get(srv.base_url.removesuffix("/api/v2") + "/_sandbox/ledger")
            got += [b.get("/credits/balance").status_code for _ in range(2)]
    assert got == [200, 200, 200, 200, 429]


def test_bucket_refills_continuously() -> None:
    """A drained bucket lets a request through again after Retry-After."""
    with SandboxServer(fast_config(rate_limit_per_min=120, org_rate_limit_per_min=120)) as srv, \
            client_for(srv) as c:
        while (resp := c.get("/whoami")).status_code == 200:
            pass
        time.sleep(resp.json()["error"]["retry_after_ms"] / 1000)
        assert c.get("/whoami").status_code == 200


def test_insufficient_scope_names_the_required_scope() -> None:
    """A key without enrich:write gets 403 insufficient_scope naming it, and spends nothing."""
    with SandboxServer(fast_config()) as srv:
        key = mint_key(srv, ["lists:read", "lists:write"])
        with client_for(srv, key) as c:
            list_id = new_list(c)
            resp = c.post("/enrichment/person", json={"lead_list_id": list_id, "email": "a@b.io"})
            who = c.get("/whoami").json()
        assert srv.ledger()["balance"] == srv.config.credits
    err = resp.json()["error"]
    assert resp.status_code == 403
    assert (err["code"], err["details"]["required"]) == ("insufficient_scope", "enrich:write")
    assert "enrich:write" in err["problem"]
    assert who["scopes"] == ["lists:read", "lists:write"]


def test_dispatching_import_also_needs_enrich_write() -> None:
    """csv-import with dispatch_enrichment needs enrich:write besides lists:write."""
    with SandboxServer(fast_config()) as srv:
        key = mint_key(srv, ["lists:write"])
        with client_for(srv, key) as c:
            list_id = new_list(c)
            resp = c.post(f"/lead-lists/{list_id}/csv-import", json={
                "csv_content_base64": "ZW1haWwKYUBiLmlv", "column_mapping": {"email": "email"},
                "enrichment_type": "partial"})
    assert resp.json()["error"]["details"]["required"] == "enrich:write"


def test_forced_5xx_is_an_envelope_and_does_nothing() -> None:
    """A 5xx fault answers a retryable envelope and creates nothing."""
    with SandboxServer(fast_config()) as srv, client_for(srv) as c:
        srv.state.faults.forced.append("5xx")
        resp = c.post("/lead-lists", json={"name": "never"})
        total = c.get("/lead-lists").json()["total"]
    assert resp.status_code in (500, 502, 503)
    assert resp.json()["error"]["retryable"] is True
    assert total == 0


@pytest.mark.parametrize(("kind", "lists_after"), [("drop", 0), ("lost_answer", 1)])
def test_dropped_connections(kind: str, lists_after: int) -> None:
    """'drop' closes the connection before doing anything; 'lost_answer' after doing it."""
    with SandboxServer(fast_config()) as srv, client_for(srv) as c:
        srv.state.faults.forced.append(kind)
        with pytest.raises(httpx.TransportError):
            c.post("/lead-lists", json={"name": "maybe"})
        total = c.get("/lead-lists").json()["total"]
        statuses = [r["status"] for r in srv.ledger()["requests"]]
    assert total == lists_after
    assert statuses[0] == 0


def test_lost_answer_still_reserves_the_credits() -> None:
    """A person submission whose answer is lost has still reserved (and will settle) credits."""
    with SandboxServer(fast_config()) as srv, client_for(srv) as c:
        list_id = new_list(c)
        srv.state.faults.forced.append("lost_answer")
        with pytest.raises(httpx.TransportError):
            c.post("/enrichment/person", json={"lead_list_id": list_id, "email": "x@acme.io",
                                               "enrichment_type": "full"})
        lead_count = c.get(f"/lead-lists/{list_id}").json()["lead_count"]
        workflows = list(srv.state.workflows)
    assert lead_count == 1
    assert len(workflows) == 1


def test_429_burst_lasts_burst_length() -> None:
    """A 429 burst answers the next burst_length requests with 429, then recovers."""
    with SandboxServer(fast_config(burst_length=3)) as srv, client_for(srv) as c:
        srv.state.faults.forced.append("429_burst")
        statuses = [c.get("/whoami").status_code for _ in range(4)]
    assert statuses == [429, 429, 429, 200]


def fault_trace(seed: int) -> list[int]:
    """Statuses of 40 whoami calls with 40% faults (drops as 0)."""
    weights = {"5xx": 1.0, "drop": 1.0, "lost_answer": 1.0, "429_burst": 1.0}
    out: list[int] = []
    with SandboxServer(fast_config(fault_rate=0.4, seed=seed, fault_weights=weights)) as srv, \
            client_for(srv) as c:
        for _ in range(40):
            try:
                out.append(c.get("/whoami").status_code)
            except httpx.TransportError:
                out.append(0)
    return out


def test_faults_are_reproducible_with_a_seed() -> None:
    """The same seed gives the same fault sequence; another seed a different one."""
    first, again, other = fault_trace(7), fault_trace(7), fault_trace(8)
    assert first == again
    assert first != other
    assert 5 < sum(s != 200 for s in first) < 35


def test_added_latency() -> None:
    """latency_ms delays every API answer."""
    with SandboxServer(fast_config(latency_ms=60)) as srv, client_for(srv) as c:
        started = time.perf_counter()
        c.get("/whoami")
        assert time.perf_counter() - started >= 0.06


def test_control_api_flips_the_kill_switch_and_faults() -> None:
    """POST /_sandbox/config switches CSV import off and queues faults at run time."""
    with SandboxServer(fast_config()) as srv, client_for(srv) as c:
        root = srv.base_url.removesuffix("/api/v2")
        knobs = httpx.post(root + "/_sandbox/config",
                           json={"csv_import": False, "force_faults": ["5xx"]}).json()
        assert knobs["csv_import"] is False
        assert c.get("/whoami").status_code in (500, 502, 503)
        list_id = new_list(c)
        resp = c.post(f"/lead-lists/{list_id}/csv-import", json={
            "csv_content_base64": "ZW1haWwKYUBiLmlv", "column_mapping": {"email": "email"},
            "dispatch_enrichment": False})
    assert resp.status_code == 503


@pytest.mark.parametrize("body", [b"", b"{}", b"[1]", b"not json"])
def test_minting_a_key_with_a_bad_body_is_a_400(body: bytes) -> None:
    """QA round 2: the key-minting control answers 400 (not 500) to a body without scopes."""
    with SandboxServer(fast_config()) as srv:
        root = srv.base_url.removesuffix("/api/v2")
        resp = httpx.post(root + "/_sandbox/keys", content=body,
                          headers={"Content-Type": "application/json"})
    assert resp.status_code == 400


def test_a_sliding_window_refuses_a_burst_past_the_limit_in_any_window() -> None:
    """With rate_window_s set, the limit counts the last window_s seconds: after `limit`
    requests the next is refused until the first leaves the window (no refill before)."""
    with SandboxServer(fast_config(rate_limit_per_min=3, org_rate_limit_per_min=0,
                                   rate_window_s=0.5)) as srv, client_for(srv) as c:
        first = [c.get("/credits/balance").status_code for _ in range(3)]
        refused = c.get("/credits/balance")
        time.sleep(0.55)
        again = c.get("/credits/balance").status_code
    assert first == [200, 200, 200]
    assert refused.status_code == 429
    assert 0 < refused.json()["error"]["retry_after_ms"] <= 500
    assert again == 200
