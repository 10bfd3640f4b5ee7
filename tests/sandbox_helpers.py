"""Shared helpers for the sandbox tests: a fast config, an authenticated client, and the official
OpenAPI document as referee (when ../shared/cleanlist/ is beside the checkout; `needs_openapi`
skips the tests that read it otherwise, and `client_for` then checks nothing)."""

from __future__ import annotations

import json
import re
import time
from functools import cache
from pathlib import Path
from typing import Any

import httpx
import pytest
from jsonschema import Draft202012Validator

from csv_enrich.sandbox import SandboxConfig, SandboxServer


def fast_config(**overrides: Any) -> SandboxConfig:
    """A sandbox config that runs workflows in milliseconds and never rate-limits."""
    values: dict[str, Any] = {"time_scale": 0.001, "rate_limit_per_min": 0,
                              "org_rate_limit_per_min": 0}
    values.update(overrides)
    return SandboxConfig(**values)


def client_for(server: SandboxServer, key: str | None = None) -> httpx.Client:
    """A sync httpx client on the server's /api/v2 with a bearer key; every response it gets is
    checked against the official OpenAPI document when it is there (an AssertionError names what
    is wrong)."""
    headers = {"Authorization": f"Bearer {key or server.api_key}"}
    hooks = [assert_conforms] if HAVE_OPENAPI else []
    return httpx.Client(base_url=server.base_url, headers=headers, timeout=10,
                        event_hooks={"response": hooks})


def assert_conforms(resp: httpx.Response) -> None:
    """Fail when a sandbox /api response does not match the document."""
    resp.read()
    found = problems(resp.request.method, resp.request.url.path, resp.status_code, resp.json())
    assert not found, "\n".join(found[:5])


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


def official_client_run(host: str, api_key: str) -> tuple[int, int, list[str]]:
    """Drive the official SDK (cleanlist-ai) through every flow; return (made, parsed, failures).

    `host` is the server root (no /api/v2). A call counts as parsed when the SDK returned the typed
    model the document declares for it.
    """
    import base64

    import cleanlist_ai as cl

    made, parsed, failures = 0, 0, []

    def call(name: str, model: type, fn: Any, *args: Any, **kw: Any) -> Any:
        nonlocal made, parsed
        made += 1
        try:
            out = fn(*args, **kw)
        except Exception as exc:  # noqa: BLE001 - every failure is a finding to report
            failures.append(f"{name}: {type(exc).__name__}: {str(exc)[:300]}")
            return None
        if isinstance(out, model):
            parsed += 1
        else:
            failures.append(f"{name}: got {type(out).__name__}")
        return out

    with cl.Cleanlist(access_token=api_key, host=host) as sdk:
        ws, ll, en = sdk.workspace, sdk.lead_lists, sdk.enrichment
        call("whoami", cl.WhoamiResponse, ws.whoami)
        call("balance", cl.CreditsBalanceResponse, ws.credits_balance)
        lst = call("create_list", cl.ListDetailResponse, ll.create_list,
                   cl.CreateListRequest(name="sdk run"))
        list_id = lst.list_id
        call("get_list", cl.ListDetailResponse, ll.get_list, list_id)
        text = "Email,First,Last,Company\n" + "\n".join(
            f"sdk{i}@acme.io,Sdk,User{i},Acme" for i in range(8))
        b64 = base64.b64encode(text.encode()).decode()
        mapping = {"email": "Email", "first_name": "First", "last_name": "Last",
                   "company_name": "Company"}
        call("csv_import", cl.CsvImportResponse, ll.csv_import, list_id, cl.CsvImportRequest(
            csv_content_base64=b64, column_mapping=mapping, dispatch_enrichment=False))
        page = call("list_leads", cl.LeadsPageResponse, ll.list_leads_in_list, list_id, limit=5)
        quote = call("estimate", cl.EstimateCostResponse, ws.credits_estimate,
                     cl.EstimateCostRequest(tool="enrich_list", list_id=list_id, scope="full"))
        bulk = call("bulk", cl.EnrichListResponse, en.enrich_list, cl.EnrichListRequest(
            list_id=list_id, scope="full", quote_id=quote.quote_id))
        person = call("person", cl.EnrichPersonResponse, en.enrich_person,
                      cl.EnrichPersonRequest(lead_list_id=list_id, email="jane@acme.io",
                                             enrichment_type="full"))
        call("company", cl.EnrichCompanyResponse, en.enrich_company,
             cl.EnrichCompanyRequest(domain="stripe.com"))
        task = call("by_task", cl.EnrichByTaskResponse, en.enrich_by_task,
                    cl.EnrichByTaskRequest(task_id=page.task_id, data_points=["Email"]))
        for wf_id in (bulk.workflow_id, person.workflow_id, task.workflow_id):
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline:
                status = call("status", cl.WorkflowStatusResponse, en.enrichment_status, wf_id)
                if status is None or status.status == "completed":
                    break
                time.sleep(0.01)
        call("list_leads_after", cl.LeadsPageResponse, ll.list_leads_in_list, list_id, limit=500)
        call("balance_after", cl.CreditsBalanceResponse, ws.credits_balance)
    return made, parsed, failures


# --- the official OpenAPI document as referee -----------------------------------------------

OPENAPI = Path(__file__).parents[2] / "shared" / "cleanlist" / "openapi-v2.json"
HAVE_OPENAPI = OPENAPI.is_file()
NO_OPENAPI = ("the official OpenAPI document (../shared/cleanlist/openapi-v2.json, beside the "
              "checkout; CI has it) is absent: cross-checks against it skipped")
needs_openapi = pytest.mark.skipif(not HAVE_OPENAPI, reason=NO_OPENAPI)
"""Mark a test (or a module, as `pytestmark`) that reads the official OpenAPI document."""
ENVELOPE = {
    "type": "object", "required": ["error"], "additionalProperties": False,
    "properties": {"error": {
        "type": "object", "required": ["code", "problem", "retryable", "docs_url", "request_id"],
        "properties": {"code": {"type": "string"}, "problem": {"type": "string"},
                       "retryable": {"type": "boolean"},
                       "retry_after_ms": {"type": ["integer", "null"]},
                       "docs_url": {"type": "string", "pattern": "^https://docs.cleanlist.ai/"},
                       "request_id": {"type": "string", "pattern": "^req_[0-9a-f]{16}$"}}}},
}


@cache
def document() -> dict[str, Any]:
    """The official OpenAPI document."""
    doc: dict[str, Any] = json.loads(OPENAPI.read_text(encoding="utf-8"))
    return doc


def operations() -> list[tuple[str, str]]:
    """Every (METHOD, /api/v2 path template) of the document."""
    return [(m.upper(), p) for p, ops in document()["paths"].items() for m in ops]


def template_of(method: str, path: str) -> str:
    """The document's path template matching a concrete request path (v1/public mapped to v2)."""
    path = path.replace("/api/v1/public/", "/api/v2/")
    for m, tmpl in operations():
        pattern = "^" + re.sub(r"\{[^}]+\}", "[^/]+", tmpl) + "$"
        if m == method and re.match(pattern, path):
            return tmpl
    raise AssertionError(f"{method} {path} is not an operation of the document")


def schema_for(method: str, tmpl: str, status: int) -> dict[str, Any] | None:
    """The declared response schema (with $refs resolvable against the document), or None."""
    responses = document()["paths"][tmpl][method.lower()]["responses"]
    if 200 <= status < 300 and str(status) not in responses:  # create-list reuse: 200 (§11 #21)
        status = next(int(code) for code in responses if code.startswith("2"))
    declared = responses.get(str(status), {}).get("content", {}).get("application/json", {})
    if "schema" not in declared:
        return None
    return {**document(), **declared["schema"]}


def problems(method: str, path: str, status: int, body: Any) -> list[str]:
    """What is wrong with one response against the document (empty when it validates)."""
    tmpl = template_of(method, path)
    schema = schema_for(method, tmpl, status) or ENVELOPE
    errors = Draft202012Validator(schema).iter_errors(body)
    return [f"{method} {path} {status}: {e.message}" for e in errors]
