"""Core operations: whoami, balance, list create/get, person, company and status."""

from __future__ import annotations

from typing import Any

from . import schemas
from .data import company_key, company_record, person_identity
from .endpoint import Ctx, Endpoint
from .records import LeadList
from .wire import ApiError, now_ms
from .workflows import PRICE, status_body

FEATURES = ["data_source_csv_upload", "enrich_email", "enrich_phone", "search_people"]


def env(**fields: Any) -> dict[str, Any]:
    """A success body with the envelope's timestamp_ms."""
    return {"timestamp_ms": now_ms(), **fields}


def poll_url(ctx: Ctx, wf_id: str) -> str:
    """The absolute status URL of a workflow on this server and prefix."""
    base = str(ctx.request.base_url).rstrip("/")
    prefix = "/api/v1/public" if "/api/v1/public/" in ctx.request.url.path else "/api/v2"
    return f"{base}{prefix}/enrichment/status/{wf_id}"


def whoami(ctx: Ctx) -> tuple[int, dict[str, Any]]:
    """GET /whoami: who the key is, its scopes and the plan."""
    org = ctx.state.orgs[ctx.org_id]
    return 200, env(
        user_email="s***@sandbox.local", user_id="user_sandbox", user_name="Sandbox User",
        organization_id=org.org_id, organization_name=org.name, auth_type="api_key",
        scopes=list(ctx.key.scopes), tier="pro", appsumo_tier=None, features=FEATURES,
    )


def balance(ctx: Ctx) -> tuple[int, dict[str, Any]]:
    """GET /credits/balance: the organisation's whole-credit balance."""
    credits = ctx.state.orgs[ctx.org_id].balance
    return 200, env(organization_id=ctx.org_id, credits=credits,
                    agent_instructions=f"You have {credits:,} credits remaining.")


def list_detail(ctx: Ctx, lst: LeadList, reused: bool = False) -> dict[str, Any]:
    """A ListDetailResponse body."""
    return env(
        list_id=lst.list_id, name=lst.name, description=lst.description,
        lead_count=len(lst.lead_ids), enriched_count=ctx.state.enriched_count(lst),
        folder_id=lst.folder_id, created_at=lst.created_at, reused=reused,
    )


def create_list(ctx: Ctx) -> tuple[int, dict[str, Any]]:
    """POST /lead-lists: 201 new, or 200 with reused=true for an existing name."""
    lst, reused = ctx.state.create_list(ctx.org_id, ctx.body)
    return (200 if reused else 201), list_detail(ctx, lst, reused)


def get_list(ctx: Ctx) -> tuple[int, dict[str, Any]]:
    """GET /lead-lists/{id}."""
    return 200, list_detail(ctx, ctx.state.get_list(ctx.org_id, ctx.path("list_id")))


def person_type(body: dict[str, Any]) -> str:
    """enrichment_type wins; else include_phone true -> phone_only; else partial."""
    etype = body.get("enrichment_type")
    return str(etype) if etype else ("phone_only" if body.get("include_phone") else "partial")


IDENTIFIER_RULE = (
    "Provide email, linkedin_url or person_id, or first_name + last_name + "
    "(company_name or domain)."
)


def enrich_person(ctx: Ctx) -> tuple[int, dict[str, Any]]:
    """POST /enrichment/person: reserve 1/10/11 and start a single-person workflow."""
    identity = person_identity(ctx.body)
    if not identity:
        problem = "The request does not identify a person. " + IDENTIFIER_RULE
        raise ApiError("validation_error", problem)
    lst = ctx.state.get_list(ctx.org_id, ctx.body["lead_list_id"])
    etype = person_type(ctx.body)
    if quote := ctx.body.get("quote_id"):
        ctx.state.quotes.redeem(quote, ctx.org_id, {"tool": "enrich_person", "row_count": 1,
                                                    "enrichment_type": etype}, PRICE[etype])
    raw = {k: v for k, v in ctx.body.items() if v is not None and k not in ("quote_id",)}
    lead = ctx.state.upsert_lead(ctx.org_id, identity, raw)
    wf = ctx.state.start_run(ctx.org_id, lst, [lead.lead_id], etype, "person")
    ctx.state.add_to_list(lst, lead.lead_id)
    return 200, env(
        workflow_id=wf.workflow_id, status="pending", credits_reserved=wf.reserved,
        lead_list_id=lst.list_id, poll_url=poll_url(ctx, wf.workflow_id), task_id=wf.task_id,
        agent_instructions="Enrichment started. Poll poll_url until status is 'completed'.",
    )


def enrich_company(ctx: Ctx) -> tuple[int, dict[str, Any]]:
    """POST /enrichment/company: 1 credit inline; 404 not_found (refunded) when unknown."""
    key = company_key(ctx.body)
    if not key:
        raise ApiError("validation_error",
                       "Provide at least one of domain, company_name, company_ticker, company_id.")
    if quote := ctx.body.get("quote_id"):
        if ctx.state.config.company_quotes != "redeem":  # a server binding more than we can send
            raise ApiError("quote_mismatch", "The quote was issued for a different request.")
        ctx.state.quotes.redeem(quote, ctx.org_id, {"tool": "enrich_company", "row_count": 1}, 1)
    ctx.state.reserve(ctx.org_id, 1, "enrich_company")
    record = company_record(key)
    if record is None:
        ctx.state.orgs[ctx.org_id].balance += 1
        raise ApiError("not_found", f"No company found for {key.split(':', 1)[1]!r}; not charged.")
    ctx.state.ledger.charge(key, "company", None, 1)
    return 200, env(company=record, credits_charged=1)


def status(ctx: Ctx) -> tuple[int, dict[str, Any]]:
    """GET /enrichment/status/{id}: a workflow id or a cl-task_ handle."""
    wf = ctx.state.get_workflow(ctx.org_id, ctx.path("workflow_id"))
    return 200, env(**status_body(wf))


ENDPOINTS = [
    Endpoint("GET", "/whoami", None, whoami),
    Endpoint("GET", "/credits/balance", "credits:read", balance),
    Endpoint("POST", "/lead-lists", "lists:write", create_list,
             lambda b: schemas.validate_body(b, schemas.CREATE_LIST)),
    Endpoint("GET", "/lead-lists/{list_id}", "lists:read", get_list),
    Endpoint("POST", "/enrichment/person", "enrich:write", enrich_person,
             lambda b: schemas.validate_body(b, schemas.ENRICH_PERSON)),
    Endpoint("POST", "/enrichment/company", "enrich:write", enrich_company,
             lambda b: schemas.validate_body(b, schemas.ENRICH_COMPANY)),
    Endpoint("GET", "/enrichment/status/{workflow_id}", "enrich:read", status),
]
