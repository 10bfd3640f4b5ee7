"""The legacy 5-endpoint API, only under /api/v1/public (CONTRACT.md §9).

auth/validate-key, enrich/bulk (1-250 contacts, one task id per contact, in submission order),
enrich/status (?workflow_id= or ?task_id=, exactly one) and webhooks/deliveries (always empty: the
sandbox sends no webhooks). Errors use FastAPI's {"detail": "..."}; low balance is 402.

Money as CONTRACT.md assumptions 23-25 say: nothing is reserved; a submission the balance cannot
cover at the type's highest price is refused (402) and starts nothing; each contact is charged
when its task completes, by what was found (email 1, phone 10); the v2 status of a legacy run
reports credits_charged and credits_refunded null. A task that completes when the balance no
longer covers it ends failed and unpaid (the sandbox's choice; the contract is silent).
"""

from __future__ import annotations

from typing import Any

from .data import person_identity
from .endpoint import Ctx, Endpoint
from .records import Lead, Workflow
from .wire import ApiError, SchemaError, detail

LEGACY_TYPES = ("none", "partial", "phone_only", "full", "prospecting_only")
CONTACT_KEYS = ("linkedin_url", "first_name", "last_name", "company_domain", "company_name",
                "email")
LIST_NAME = "Extension Leads"


def validate_key(ctx: Ctx) -> tuple[int, dict[str, Any]]:
    """GET /auth/validate-key."""
    return 200, {"valid": True, "user_id": "user_sandbox", "organization_id": ctx.org_id}


def _contact_errors(i: int, contact: Any) -> list[dict[str, Any]]:
    loc: list[str | int] = ["body", "contacts", i]
    if not isinstance(contact, dict):
        return [detail(loc, "Input should be a valid dictionary", "dict_type")]
    extra = [k for k in contact if k not in CONTACT_KEYS]
    if extra or not all(isinstance(v, str | None) for v in contact.values()):
        return [detail(loc, f"Unexpected or non-string fields: {extra}", "value_error")]
    named = contact.get("first_name") and contact.get("last_name") and (
        contact.get("company_domain") or contact.get("company_name"))
    if contact.get("linkedin_url") or named:
        return []
    msg = "Value error, each contact needs linkedin_url or first_name + last_name + company"
    return [detail(loc, msg, "value_error")]


def check_bulk(body: Any) -> dict[str, Any]:
    """The legacy bulk body: enrichment_type, webhook_url, contacts (rule violations are 422)."""
    if not isinstance(body, dict) or not isinstance(body.get("contacts"), list):
        raise SchemaError([detail(["body", "contacts"], "Field required", "missing")])
    etype = body.get("enrichment_type") or "partial"
    if etype not in LEGACY_TYPES:
        msg = "Input should be " + ", ".join(f"'{t}'" for t in LEGACY_TYPES)
        raise SchemaError([detail(["body", "enrichment_type"], msg, "enum")])
    errors = [e for i, c in enumerate(body["contacts"]) for e in _contact_errors(i, c)]
    if errors:
        raise SchemaError(errors)
    return {"enrichment_type": etype, "contacts": body["contacts"],
            "webhook_url": body.get("webhook_url")}


def enrich_bulk(ctx: Ctx) -> tuple[int, dict[str, Any]]:
    """POST /enrich/bulk: 1-250 contacts into the protected per-user list."""
    contacts = ctx.body["contacts"]
    if not 1 <= len(contacts) <= 250:
        raise ApiError("validation_error", "contacts must hold between 1 and 250 entries.")
    lst, _ = ctx.state.create_list(ctx.org_id, {"name": LIST_NAME})
    lst.protected = True
    leads: list[Lead] = []
    for contact in contacts:
        fields = {k: v for k, v in contact.items() if v}
        fields.setdefault("domain", fields.get("company_domain"))
        leads.append(ctx.state.upsert_lead(ctx.org_id, person_identity(fields), fields))
    ids = list(dict.fromkeys(lead.lead_id for lead in leads))
    wf = ctx.state.start_run(ctx.org_id, lst, ids, ctx.body["enrichment_type"], "legacy")
    for lead_id in ids:
        ctx.state.add_to_list(lst, lead_id)
    task_ids = [ctx.state.new_task(ctx.org_id, "person", [lead.lead_id], wf.workflow_id)
                for lead in leads]
    wf.legacy_tasks = task_ids
    return 200, {"workflow_id": wf.workflow_id, "status": "processing",
                 "message": "Bulk enrichment started", "task_ids": task_ids,
                 "total_contacts": len(contacts)}


LEGACY_EMAIL_STATUS = {"valid": "reliable", "risky": "risky"}  # anything else: unknown


def _task_state(wf: Workflow, lead_id: str, done: set[str]) -> str:
    """processing until the contact's task ends, then completed (found or not) or failed (the
    run failed first, or the balance no longer covered the contact)."""
    if lead_id in wf.unpaid:
        return "failed"
    if lead_id in done:
        return "completed"
    return "failed" if wf.status in ("failed", "cancelled") else "processing"


def _result(task_id: str, lead: Lead, state: str) -> dict[str, Any]:
    f = lead.found if state == "completed" else {}
    email = f.get("email")
    return {
        "task_id": task_id, "status": state,
        "primary_email": email,
        "primary_email_status": LEGACY_EMAIL_STATUS.get(f.get("email_status") or "", "unknown")
        if email else None,
        "other_emails": [], "personal_phone_numbers": [f["phone"]] if f.get("phone") else [],
        "prospect": {k: f.get(k) or lead.raw.get(k) for k in
                     ("first_name", "last_name", "full_name", "linkedin_url", "title")},
        "company": {"name": f.get("company") or lead.raw.get("company_name"),
                    "domain": f.get("domain") or lead.raw.get("company_domain")},
    }


def _legacy_status(wf: Workflow) -> str:
    return {"pending": "processing", "running": "processing"}.get(wf.status, wf.status)


def enrich_status(ctx: Ctx) -> tuple[int, dict[str, Any]]:
    """GET /enrich/status?workflow_id= | ?task_id= (exactly one): the envelope of assumption 24,
    one result per task in task_ids order (or just the task asked for)."""
    wf_ref, task_ref = ctx.query("workflow_id"), ctx.query("task_id")
    if (wf_ref is None) == (task_ref is None):
        raise ApiError("validation_error", "Pass exactly one of workflow_id or task_id.")
    wf = ctx.state.get_workflow(ctx.org_id, wf_ref or task_ref or "")
    if wf.kind != "legacy":
        raise ApiError("not_found", f"Workflow '{wf_ref or task_ref}' not found.")
    done = set(wf.lead_ids[:wf.done])
    task_ids = [task_ref] if task_ref else wf.legacy_tasks
    tasks = [ctx.state.tasks[t] for t in task_ids]
    results = [_result(t.task_id, ctx.state.leads[t.entity_ids[0]],
                       _task_state(wf, t.entity_ids[0], done)) for t in tasks]
    summary = {"total": len(wf.legacy_tasks), "successful": wf.completed, "failed": wf.failed,
               "emails_found": wf.emails_found, "phones_found": wf.phones_found}
    return 200, {"workflow_id": wf.workflow_id, "status": _legacy_status(wf),
                 "lead_list_id": wf.list_id, "enrichment_type": wf.enrichment_type,
                 "summary": summary, "results": results, "results_truncated": False,
                 "credits_charged": wf.paid}


def deliveries(ctx: Ctx) -> tuple[int, dict[str, Any]]:
    """GET /webhooks/deliveries: the sandbox sends no webhooks, so there are none."""
    return 200, {"workflow_id": ctx.query("workflow_id"), "deliveries": []}


ENDPOINTS = [
    Endpoint("GET", "/auth/validate-key", None, validate_key, legacy=True),
    Endpoint("POST", "/enrich/bulk", "enrich:write", enrich_bulk, check_bulk, legacy=True),
    Endpoint("GET", "/enrich/status", "enrich:read", enrich_status, legacy=True),
    Endpoint("GET", "/webhooks/deliveries", "enrich:read", deliveries, legacy=True),
]
