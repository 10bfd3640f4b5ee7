"""The bulk path: estimate, csv-import, bulk run, leads paging and by-task."""

from __future__ import annotations

import time
from typing import Any

from . import csvimport, schemas
from .endpoint import Ctx, Endpoint
from .pricing import filter_hash, list_scope, quote_params
from .records import Lead, LeadList
from .routes_core import env, poll_url
from .wire import ApiError
from .workflows import PRICE

IDEMPOTENCY_TTL_S = 24 * 3600
LEAD_FIELDS = ("first_name", "last_name", "full_name", "title", "company", "location",
               "linkedin_url", "provider")


def estimate(ctx: Ctx) -> tuple[int, dict[str, Any]]:
    """POST /credits/estimate: a signed, single-use, 5-minute quote."""
    params, cost = quote_params(ctx.state, ctx.org_id, ctx.body)
    quote_id, expires = ctx.state.quotes.issue(ctx.org_id, params, cost)
    available = ctx.state.orgs[ctx.org_id].balance
    return 200, {
        "quote_id": quote_id, "expires_at": expires, "estimated_cost": cost,
        "tool": ctx.body["tool"], "row_count": params["row_count"],
        "filter_hash": filter_hash(ctx.body.get("filters")),
        "available_credits": available, "sufficient": available >= cost,
    }


def _replay(ctx: Ctx) -> dict[str, Any] | None:
    key = ctx.body.get("idempotency_key")
    hit = ctx.state.idempotency.get(f"{ctx.org_id}|{key}") if key else None
    if hit is None or time.time() - hit["at"] > IDEMPOTENCY_TTL_S:
        return None
    return {**hit["response"], "idempotency_replayed": True}


def _dispatch_check(ctx: Ctx, lst: LeadList, count: int) -> str | None:
    """The type to dispatch (None for import-only); checks funds and the quote before import."""
    etype = str(ctx.body.get("enrichment_type") or "")
    if ctx.body["dispatch_enrichment"] and not etype:
        raise ApiError("validation_error", "enrichment_type is required when dispatching.")
    if not ctx.body["dispatch_enrichment"] or count == 0:
        return None
    ctx.state.check_funds(ctx.org_id, PRICE[etype] * count, "bulk_import_csv")
    if quote := ctx.body.get("quote_id"):
        params = {"tool": "bulk_import_csv", "list_id": lst.list_id, "row_count": count,
                  "enrichment_type": etype}
        ctx.state.quotes.redeem(quote, ctx.org_id, params, PRICE[etype] * count)
    return etype


def csv_import(ctx: Ctx) -> tuple[int, dict[str, Any]]:
    """POST /lead-lists/{id}/csv-import: import rows, optionally dispatch a bulk run."""
    if not ctx.state.csv_import:
        raise ApiError("feature_disabled", "CSV import is disabled for this organisation.")
    if (replayed := _replay(ctx)) is not None:
        return 201, replayed
    lst = ctx.state.get_list(ctx.org_id, ctx.path("list_id"))
    parsed = csvimport.parse(csvimport.decode(ctx.body["csv_content_base64"]),
                             csvimport.check_mapping(ctx.body["column_mapping"]))
    etype = _dispatch_check(ctx, lst, len(parsed.accepted))
    lead_ids = _import_rows(ctx, lst, parsed.accepted)
    wf = ctx.state.start_run(ctx.org_id, lst, lead_ids, etype, "bulk") if etype else None
    body = env(
        list_id=lst.list_id, rows_parsed=parsed.rows_parsed, rows_imported=len(parsed.accepted),
        rows_skipped=len(parsed.skip_rows), skip_reasons=parsed.skip_reasons,
        sample_skip_rows=parsed.skip_rows[:10],
        workflow_id=wf.workflow_id if wf else None,
        enrichment_status_url=f"/api/v2/enrichment/status/{wf.workflow_id}" if wf else None,
        idempotency_replayed=False,
        task_id=wf.task_id if wf else ctx.state.new_task(ctx.org_id, "person", lead_ids),
    )
    if key := ctx.body.get("idempotency_key"):
        ctx.state.idempotency[f"{ctx.org_id}|{key}"] = {"at": time.time(), "response": body}
    return 201, body


def _import_rows(ctx: Ctx, lst: LeadList, rows: list[tuple[str, dict[str, Any]]]) -> list[str]:
    ids: list[str] = []
    for identity, fields in rows:
        lead = ctx.state.upsert_lead(ctx.org_id, identity, fields)
        ctx.state.add_to_list(lst, lead.lead_id)
        ids.append(lead.lead_id)
    return list(dict.fromkeys(ids))


def enrich_list(ctx: Ctx) -> tuple[int, dict[str, Any]]:
    """POST /enrichment/bulk: every lead of the list, bounded by a quote."""
    lst = ctx.state.get_list(ctx.org_id, ctx.body["list_id"])
    etype = list_scope(ctx.body["scope"])
    count = len(lst.lead_ids)
    if count == 0:
        raise ApiError("validation_error", f"Lead list '{lst.list_id}' is empty.")
    cost = PRICE[etype] * count
    ctx.state.check_funds(ctx.org_id, cost, "enrich_list")  # before the quote is spent
    params = {"tool": "enrich_list", "list_id": lst.list_id, "scope": ctx.body["scope"],
              "row_count": count}
    ctx.state.quotes.redeem(ctx.body["quote_id"], ctx.org_id, params, cost)
    wf = ctx.state.start_run(ctx.org_id, lst, list(lst.lead_ids), etype, "bulk")
    return 200, env(
        workflow_id=wf.workflow_id, status="pending", total_leads=count, estimated_cost=cost,
        credits_reserved=cost, poll_url=poll_url(ctx, wf.workflow_id), task_id=wf.task_id,
    )


def lead_row(lead: Lead) -> dict[str, Any]:
    """A LeadRow: input names/company/LinkedIn until enriched; email and phone only when found."""
    raw, found = lead.raw, lead.found
    row: dict[str, Any] = {"lead_id": lead.lead_id}
    for name in LEAD_FIELDS:
        row[name] = found.get(name) or raw.get(name)
    row["company"] = row["company"] or raw.get("company_name")
    row["title"] = row["title"] or raw.get("job_title")
    row.update(email=found.get("email"), phone=found.get("phone"))
    return row


def page_slice(ctx: Ctx, total: int, default: int = 100) -> tuple[int, int]:
    """(offset, limit) from ?cursor=&limit= (1..500), or 400 for a malformed cursor."""
    limit = schemas.int_param(ctx.query("limit"), "limit", default, 1, 500)
    cursor = ctx.query("cursor")
    if cursor is not None and not (cursor.isdigit() and int(cursor) <= total):
        raise ApiError("invalid_cursor", f"Malformed cursor {cursor!r}.")
    return int(cursor or 0), limit


def list_leads(ctx: Ctx) -> tuple[int, dict[str, Any]]:
    """GET /lead-lists/{id}/leads: a cursor page of LeadRows with a cohort task_id."""
    lst = ctx.state.get_list(ctx.org_id, ctx.path("list_id"))
    start, limit = page_slice(ctx, len(lst.lead_ids))
    ids = lst.lead_ids[start:start + limit]
    end = start + len(ids)
    return 200, env(
        list_id=lst.list_id, total=len(lst.lead_ids),
        leads=[lead_row(ctx.state.leads[i]) for i in ids],
        cursor=str(end) if end < len(lst.lead_ids) else None,
        task_id=ctx.state.new_task(ctx.org_id, "person", ids),
    )


def _dispatch_scope(body: dict[str, Any]) -> str | None:
    return "enrich:write" if body.get("dispatch_enrichment") else None


ENDPOINTS = [
    Endpoint("POST", "/credits/estimate", "credits:read", estimate,
             lambda b: schemas.validate_body(b, schemas.ESTIMATE)),
    Endpoint("POST", "/lead-lists/{list_id}/csv-import", "lists:write", csv_import,
             lambda b: schemas.validate_body(b, schemas.CSV_IMPORT), _dispatch_scope),
    Endpoint("POST", "/enrichment/bulk", "enrich:write", enrich_list,
             lambda b: schemas.validate_body(b, schemas.ENRICH_LIST)),
    Endpoint("GET", "/lead-lists/{list_id}/leads", "lists:read", list_leads),
]
