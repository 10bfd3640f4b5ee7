"""POST /credits/estimate: the cost table and the parameters each tool's quote is bound to."""

from __future__ import annotations

import hashlib
import json
import math
from typing import TYPE_CHECKING, Any

from .wire import ApiError
from .workflows import PRICE

if TYPE_CHECKING:
    from .records import Task
    from .state import SandboxState

SCOPE_TYPE = {"partial": "partial", "full": "full", "phone-only": "phone_only"}
AGENT_PRICE = {"custom_ai": 1, "cold_intro_email": 3}
TOOLS = ("enrich_list", "enrich_person", "bulk_import_csv", "add_person_enrichments",
         "add_company_enrichments", "run_smart_agent", "sync_to_crm", "sync_to_sequencer",
         "enrich_company")
PERSON_POINTS = {"Email", "Phone", "LinkedIn"}
COMPANY_POINTS = {"Industry", "Employees", "Revenue", "Funding", "TechStack", "Domain"}
COHORT_TOOL = {"person": "add_person_enrichments", "company": "add_company_enrichments"}


def cohort_points(task: Task, points: list[str]) -> list[str]:
    """The data points of a by-task call, or 400 when they do not fit the cohort's kind."""
    allowed = PERSON_POINTS if task.entity_kind == "person" else COMPANY_POINTS
    if not points or not set(points) <= allowed:
        raise ApiError("validation_error", f"data_points for a {task.entity_kind} task must be "
                       f"among {sorted(allowed)}.")
    return points


def cohort_ids(task: Task, ids: list[str] | None) -> list[str]:
    """The entity ids a by-task call enriches: all when omitted, else a strict subset, or 400."""
    if ids is None:
        return list(task.entity_ids)
    cohort = set(task.entity_ids)
    if stray := [i for i in ids if i not in cohort]:
        raise ApiError("validation_error", f"entity_ids must belong to the task's cohort; "
                       f"{len(stray)} do not (first: {stray[0]!r}).")
    if not ids or len(set(ids)) >= len(cohort) or len(set(ids)) != len(ids):
        raise ApiError("validation_error", "entity_ids must be a strict subset of the task's "
                       f"cohort of {len(cohort)} (no repeats, not empty, not all of it); omit "
                       "it to enrich the whole cohort.")
    return ids


def points_type(points: list[str]) -> str:
    """data_points -> enrichment type: Email+Phone full, Phone phone_only, else partial."""
    has = set(points)
    if {"Email", "Phone"} <= has:
        return "full"
    return "phone_only" if "Phone" in has else "partial"


def list_scope(scope: str | None) -> str:
    """The enrichment type of an enrich_list scope, or 400."""
    if (scope or "partial") not in SCOPE_TYPE:
        raise ApiError("validation_error", f"scope must be one of {sorted(SCOPE_TYPE)}.")
    return SCOPE_TYPE[scope or "partial"]


def person_etype(body: dict[str, Any]) -> str:
    """enrichment_type wins over include_phone; default partial."""
    legacy = "phone_only" if body.get("include_phone") else "partial"
    etype = body.get("enrichment_type") or legacy
    if etype not in PRICE:
        raise ApiError("validation_error", f"enrichment_type must be one of {sorted(PRICE)}.")
    return str(etype)


def _enrich_list(state: SandboxState, org: str, body: dict[str, Any]) -> tuple[dict[str, Any], int]:
    if not body.get("list_id"):
        raise ApiError("validation_error", "enrich_list needs list_id.")
    lst = state.get_list(org, body["list_id"])
    count, scope = len(lst.lead_ids), body.get("scope") or "partial"
    params = {"tool": "enrich_list", "list_id": lst.list_id, "scope": scope, "row_count": count}
    return params, PRICE[list_scope(scope)] * count


def _import_csv(state: SandboxState, org: str, body: dict[str, Any]) -> tuple[dict[str, Any], int]:
    list_id = body.get("list_id") or (body.get("filters") or {}).get("list_id")
    if not list_id or body.get("row_count") is None:
        raise ApiError("validation_error", "bulk_import_csv needs list_id and row_count.")
    etype = person_etype(body)
    count = int(body["row_count"])
    params = {"tool": "bulk_import_csv", "list_id": list_id, "row_count": count,
              "enrichment_type": etype}
    return params, PRICE[etype] * count


def _cohort(state: SandboxState, org: str, body: dict[str, Any]) -> tuple[dict[str, Any], int]:
    task = state.get_task(org, body.get("task_id") or "")
    points = sorted(cohort_points(task, list(body.get("data_points") or [])))
    if body["tool"] != COHORT_TOOL[task.entity_kind]:
        raise ApiError("validation_error", f"Task {task.task_id} is a {task.entity_kind} cohort: "
                       f"price it with tool {COHORT_TOOL[task.entity_kind]}.")
    ids = sorted(cohort_ids(task, body.get("entity_ids")))
    params = {"tool": body["tool"], "task_id": task.task_id, "data_points": points,
              "entity_ids": ids, "row_count": len(ids)}
    if body["tool"] == "add_company_enrichments":
        return params, math.ceil(len(ids) / 10)
    return params, PRICE[points_type(points)] * len(ids)


def _simple(state: SandboxState, org: str, body: dict[str, Any]) -> tuple[dict[str, Any], int]:
    tool, count = body["tool"], int(body.get("row_count") or 1)
    if tool == "enrich_person":
        etype = person_etype(body)
        return {"tool": tool, "row_count": 1, "enrichment_type": etype}, PRICE[etype]
    if tool == "enrich_company":
        return {"tool": tool, "row_count": 1}, 1
    per = AGENT_PRICE.get(body.get("agent_type") or "custom_ai", 1) if "agent" in tool else 0
    return {"tool": tool, "row_count": count}, per * count


def quote_params(state: SandboxState, org: str, body: dict[str, Any]) -> tuple[dict[str, Any], int]:
    """The canonical parameters a quote for this estimate binds, and the cost."""
    tool = body["tool"]
    known = [t for t in TOOLS if t != "enrich_company"
             or state.config.company_quotes != "unknown_tool"]
    if tool not in known:
        raise ApiError("validation_error", f"Unknown tool {tool!r}; known: {', '.join(known)}.")
    handlers = {"enrich_list": _enrich_list, "bulk_import_csv": _import_csv,
                "add_person_enrichments": _cohort, "add_company_enrichments": _cohort}
    return handlers.get(tool, _simple)(state, org, body)


def filter_hash(filters: dict[str, Any] | None) -> str:
    """A short stable hash of a filter object, or "none"."""
    if not filters:
        return "none"
    raw = json.dumps(filters, sort_keys=True).encode()
    return hashlib.sha256(raw).hexdigest()[:16]
