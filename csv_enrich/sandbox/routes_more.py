"""Lists index, patch/delete, leads add/remove, export, keys/usage and the 501 endpoints."""

from __future__ import annotations

from collections import Counter
from typing import Any

from . import schemas
from .endpoint import BodyCheck, Ctx, Endpoint
from .records import LeadList
from .routes_bulk import lead_row, page_slice
from .routes_core import env, list_detail
from .wire import ApiError, SchemaError, detail

EXPORT_COLUMNS = ("lead_id", "first_name", "last_name", "email", "title", "company", "domain",
                  "linkedin_url", "phone", "location")
EXTRA_COLUMNS = ("full_name", "email_status", "provider")


def list_lists(ctx: Ctx) -> tuple[int, dict[str, Any]]:
    """GET /lead-lists: the organisation's lists, newest last, cursor-paged (limit 1..100)."""
    folder = ctx.query("folder_id")
    lists = [lst for lst in ctx.state.lists.values()
             if lst.org_id == ctx.org_id and (folder is None or lst.folder_id == folder)]
    limit = schemas.int_param(ctx.query("limit"), "limit", 50, 1, 100)
    start, _ = page_slice(ctx, len(lists))
    page = lists[start:start + limit]
    end = start + len(page)
    summaries = [{"list_id": lst.list_id, "name": lst.name, "lead_count": len(lst.lead_ids),
                  "folder_id": lst.folder_id, "created_at": lst.created_at,
                  "owner_name": "Sandbox User", "visibility": "private"} for lst in page]
    return 200, env(lists=summaries, total=len(lists),
                    cursor=str(end) if end < len(lists) else None)


def _editable(ctx: Ctx) -> LeadList:
    lst = ctx.state.get_list(ctx.org_id, ctx.path("list_id"))
    if lst.protected:
        raise ApiError("list_protected", f"Lead list '{lst.name}' is protected.")
    return lst


def patch_list(ctx: Ctx) -> tuple[int, dict[str, Any]]:
    """PATCH /lead-lists/{id}: only the fields sent change; null description/folder clears."""
    lst = _editable(ctx)
    sent = ctx.body
    if "name" in sent:
        lst.name = sent["name"]
    if "description" in sent:
        lst.description = sent["description"]
    if "folder_id" in sent:
        lst.folder_id = sent["folder_id"]
    return 200, list_detail(ctx, lst)


def check_patch(body: Any) -> dict[str, Any]:
    """Validate a PATCH body: closed schema, not empty, name not null; keep only sent keys."""
    checked = schemas.validate_body(body, schemas.UPDATE_LIST)
    if not body:
        msg = "Value error, at least one of name, description, folder_id must be provided"
        raise SchemaError([detail(["body"], msg, "value_error")])
    if "name" in body and body["name"] is None:
        raise SchemaError([detail(["body", "name"], "Input should be a valid string",
                                  "string_type")])
    return {k: checked[k] for k in body}


def delete_list(ctx: Ctx) -> tuple[int, dict[str, Any]]:
    """DELETE /lead-lists/{id}: the list goes, its leads survive; a second delete is 404."""
    lst = _editable(ctx)
    ctx.state.delete_list(lst)
    return 200, env(list_id=lst.list_id, deleted=True, message="List deleted.")


def add_leads(ctx: Ctx) -> tuple[int, dict[str, Any]]:
    """POST /lead-lists/{id}/leads: by lead_ids or a task cohort; idempotency_key replays."""
    lst = ctx.state.get_list(ctx.org_id, ctx.path("list_id"))
    key = ctx.body.get("idempotency_key")
    memo = f"{ctx.org_id}|add|{key}"
    if key and memo in ctx.state.idempotency:
        return 200, dict(ctx.state.idempotency[memo]["response"])
    if "task_id" in ctx.body:
        task = ctx.state.get_task(ctx.org_id, ctx.body["task_id"])
        ids = ctx.body.get("entity_ids") or task.entity_ids
        ids = [i for i in ids if i in set(task.entity_ids)]
    else:
        ids = ctx.body["lead_ids"]
    known = [i for i in ids if ctx.state.leads.get(i) and ctx.state.leads[i].org_id == ctx.org_id]
    added = sum(ctx.state.add_to_list(lst, i) for i in known)
    body = {"list_id": lst.list_id, "added": added, "skipped_duplicates": len(ids) - added,
            "created": 0, "credits_charged": 0}
    if key:
        ctx.state.idempotency[memo] = {"at": 0.0, "response": body}
    return 200, body


def remove_leads(ctx: Ctx) -> tuple[int, dict[str, Any]]:
    """DELETE /lead-lists/{id}/leads: membership only; unknown ids are no-ops."""
    lst = ctx.state.get_list(ctx.org_id, ctx.path("list_id"))
    return 200, {"list_id": lst.list_id, "removed": ctx.state.remove_from_list(
        lst, ctx.body["lead_ids"])}


def _columns(ctx: Ctx) -> list[str]:
    raw = ctx.request.query_params.getlist("columns")
    cols = [c.strip() for part in raw for c in part.split(",") if c.strip()]
    unknown = [c for c in cols if c not in EXPORT_COLUMNS + EXTRA_COLUMNS]
    if unknown:
        raise ApiError("validation_error", f"Unknown export column(s): {', '.join(unknown)}.")
    return cols or list(EXPORT_COLUMNS)


def export_json(ctx: Ctx) -> tuple[int, dict[str, Any]]:
    """GET /export/json: leads as objects with the chosen columns (email_status available)."""
    list_id = ctx.query("list_id")
    if list_id is None:
        raise SchemaError([detail(["query", "list_id"], "Field required", "missing")])
    lst = ctx.state.get_list(ctx.org_id, list_id)
    start, limit = page_slice(ctx, len(lst.lead_ids))
    cols, ids = _columns(ctx), lst.lead_ids[start:start + limit]
    end = start + len(ids)
    rows = []
    for lead_id in ids:
        lead = ctx.state.leads[lead_id]
        full = {**lead_row(lead), "domain": lead.found.get("domain") or lead.raw.get("domain"),
                "email_status": lead.found.get("email_status")}
        rows.append({c: full.get(c) for c in cols})
    return 200, env(list_id=lst.list_id, leads=rows, total=len(lst.lead_ids),
                    cursor=str(end) if end < len(lst.lead_ids) else None)


def api_keys(ctx: Ctx) -> tuple[int, dict[str, Any]]:
    """GET /api-keys: the organisation's keys, prefix and last 4 only."""
    keys = [{"key_id": k.key_id, "key_prefix": "clapi_", "key_last4": k.key[-4:], "name": k.name,
             "scopes": list(k.scopes), "created_at": k.created_at, "last_used_at": None,
             "is_active": True} for k in ctx.state.keys.values() if k.org_id == ctx.org_id]
    return 200, {"keys": keys}


def usage(ctx: Ctx) -> tuple[int, dict[str, Any]]:
    """GET /usage: request counts by path (group_by=tool only; credits_spent is always 0.0)."""
    days = schemas.int_param(ctx.query("days"), "days", 7, 1, 365)
    group_by = ctx.query("group_by") or "tool"
    if group_by not in ("tool", "key", "day", "error"):
        raise SchemaError([detail(["query", "group_by"],
                                  "Input should be 'tool', 'key', 'day' or 'error'", "enum")])
    reqs = ctx.state.ledger.requests
    calls = Counter(r["path"] for r in reqs)
    errors = Counter(r["path"] for r in reqs if r["status"] >= 400 or r["status"] == 0)
    rows = [{"group": p, "calls": n, "credits_spent": 0.0, "errors": errors[p]}
            for p, n in calls.most_common()]
    return 200, {"days": days, "group_by": group_by, "total_calls": len(reqs),
                 "total_credits_spent": 0.0, "total_errors": sum(errors.values()), "rows": rows}


def not_implemented(ctx: Ctx) -> tuple[int, dict[str, Any]]:
    """Smart agents and CSV export links are not simulated: 501 with the error envelope."""
    raise ApiError("not_implemented",
                   f"{ctx.request.method} {ctx.request.url.path} is not simulated by the sandbox.")


def _check(model: dict[str, schemas.Field]) -> BodyCheck:
    return lambda b: schemas.validate_body(b, model)


ENDPOINTS = [
    Endpoint("GET", "/lead-lists", "lists:read", list_lists),
    Endpoint("PATCH", "/lead-lists/{list_id}", "lists:write", patch_list, check_patch),
    Endpoint("DELETE", "/lead-lists/{list_id}", "lists:write", delete_list),
    Endpoint("POST", "/lead-lists/{list_id}/leads", "lists:write", add_leads,
             schemas.validate_add_leads),
    Endpoint("DELETE", "/lead-lists/{list_id}/leads", "lists:write", remove_leads,
             _check(schemas.REMOVE_LEADS)),
    Endpoint("GET", "/export/json", "export:read", export_json),
    Endpoint("POST", "/export/csv/signed-url", "export:read", not_implemented,
             _check(schemas.EXPORT_CSV)),
    Endpoint("GET", "/api-keys", "admin:api_keys", api_keys),
    Endpoint("GET", "/usage", "admin:api_keys", usage),
    Endpoint("POST", "/smart-agents/run", "smart_agents:write", not_implemented),
    Endpoint("GET", "/smart-agents", "smart_agents:read", not_implemented),
    Endpoint("GET", "/smart-agents/{task_id}", "smart_agents:read", not_implemented),
]
