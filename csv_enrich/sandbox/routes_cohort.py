"""POST /enrichment/by-task: person cohorts run async into a list; company cohorts answer inline."""

from __future__ import annotations

import math
from typing import Any

from . import schemas
from .data import company_key, company_record
from .endpoint import Ctx, Endpoint
from .pricing import COHORT_TOOL, cohort_ids, cohort_points, points_type
from .records import LeadList, Task
from .routes_core import env
from .workflows import PRICE


def _target_list(ctx: Ctx) -> LeadList:
    if list_id := ctx.body.get("lead_list_id"):
        return ctx.state.get_list(ctx.org_id, list_id)
    lst, _ = ctx.state.create_list(ctx.org_id, {"name": "MCP Results"})
    return lst


def _cohort(ctx: Ctx) -> tuple[Task, list[str], list[str]]:
    task = ctx.state.get_task(ctx.org_id, ctx.body["task_id"])
    points = cohort_points(task, list(ctx.body["data_points"]))
    return task, points, cohort_ids(task, ctx.body.get("entity_ids"))


def _redeem(ctx: Ctx, task: Task, points: list[str], ids: list[str], cost: int) -> None:
    if quote := ctx.body.get("quote_id"):
        params = {"tool": COHORT_TOOL[task.entity_kind], "task_id": task.task_id,
                  "data_points": sorted(points), "entity_ids": sorted(ids), "row_count": len(ids)}
        ctx.state.quotes.redeem(quote, ctx.org_id, params, cost)


def _person(ctx: Ctx, task: Task, points: list[str], ids: list[str]) -> dict[str, Any]:
    etype = points_type(points)
    ctx.state.check_funds(ctx.org_id, PRICE[etype] * len(ids), "enrich_by_task")  # quote kept
    _redeem(ctx, task, points, ids, PRICE[etype] * len(ids))
    lst = _target_list(ctx)
    for lead_id in ids:
        ctx.state.add_to_list(lst, lead_id)
    wf = ctx.state.start_run(ctx.org_id, lst, ids, etype, "bulk")
    task.workflow_id = wf.workflow_id  # GET /enrichment/status/{cl-task_...} resolves to it
    results = [{"entity_id": i, "status": "queued", "error": None, "company": None} for i in ids]
    return env(entity_kind="person", workflow_id=wf.workflow_id, status="pending",
               total_entities=len(ids), credits_reserved=wf.reserved, results=results,
               task_id=task.task_id)


def _company_result(entity_id: str) -> dict[str, Any]:
    key = company_key({"domain": entity_id} if "." in entity_id else {"company_id": entity_id})
    record = company_record(key) if key else None
    if record is None:
        return {"entity_id": entity_id, "status": "failed", "error": "not_found", "company": None}
    return {"entity_id": entity_id, "status": "enriched", "error": None, "company": record}


def _company(ctx: Ctx, task: Task, points: list[str], ids: list[str]) -> dict[str, Any]:
    results = [_company_result(i) for i in ids]
    cost = math.ceil(sum(r["status"] == "enriched" for r in results) / 10)
    ctx.state.check_funds(ctx.org_id, cost, "add_company_enrichments")  # quote kept if short
    _redeem(ctx, task, points, ids, math.ceil(len(ids) / 10))
    ctx.state.reserve(ctx.org_id, cost, "add_company_enrichments")
    if cost:
        ctx.state.ledger.charge(f"task:{task.task_id}", "company", None, cost)
    return env(entity_kind="company", workflow_id=None, status="completed",
               total_entities=len(ids), credits_reserved=cost, results=results,
               task_id=task.task_id)


def by_task(ctx: Ctx) -> tuple[int, dict[str, Any]]:
    """POST /enrichment/by-task: a cohort from a leads page (person) or a company cohort."""
    task, points, ids = _cohort(ctx)
    run = _person if task.entity_kind == "person" else _company
    return 200, run(ctx, task, points, ids)


ENDPOINTS = [
    Endpoint("POST", "/enrichment/by-task", "enrich:write", by_task,
             lambda b: schemas.validate_body(b, schemas.ENRICH_BY_TASK)),
]
