"""Workflow timing, per-lead enrichment and settlement (email found = 1, phone found = 10)."""

from __future__ import annotations

from typing import Any

from .data import h, person_record
from .records import Lead, Workflow

PRICE = {"partial": 1, "phone_only": 10, "full": 11}
PENDING_S = 0.5  # before a run starts, unscaled


def bulk_schedule(
    lead_ids: list[str], start: float, scale: float, lanes: int
) -> tuple[list[str], list[float]]:
    """Leads of a bulk run in finishing order with their finish times (0.2-0.5 s each per lane)."""
    lane_end = [start] * max(1, lanes)
    timed: list[tuple[float, str]] = []
    for i, lead_id in enumerate(lead_ids):
        lane = i % len(lane_end)
        lane_end[lane] += (0.2 + h(lead_id, "dur") % 301 / 1000) * scale
        timed.append((lane_end[lane], lead_id))
    timed.sort()
    return [lead for _, lead in timed], [at for at, _ in timed]


def person_finish(identity: str, start: float, scale: float) -> float:
    """When a single-person run finishes: 2-5 s after submission, scaled."""
    return start + (2.0 + h(identity, "person") % 3001 / 1000) * scale


def _found(etype: str, record: dict[str, Any]) -> tuple[bool, bool]:
    email = etype in ("partial", "full", "prospecting_only") and record["email"] is not None
    phone = etype in ("phone_only", "full") and record["phone"] is not None
    return email, phone


def enrich_lead(lead: Lead, etype: str) -> tuple[bool, bool]:
    """Apply what the waterfall finds for `etype` to the lead; return (email found, phone found)."""
    record = person_record(lead.identity, lead.raw)
    email, phone = _found(etype, record)
    keep = ("first_name", "last_name", "full_name", "title", "company", "location",
            "linkedin_url", "provider")
    lead.found.update({k: record[k] for k in keep})
    if email:
        lead.found.update(email=record["email"], email_status=record["email_status"])
    if phone:
        lead.found["phone"] = record["phone"]
    return email, phone


def _process(wf: Workflow, lead: Lead) -> None:
    email, phone = enrich_lead(lead, wf.enrichment_type)
    credits = (1 if email else 0) + (10 if phone else 0)
    wf.emails_found += email
    wf.phones_found += phone
    if credits:
        wf.completed += 1
        wf.pending_charges.append([lead.identity, credits])
    else:
        wf.failed += 1
    if wf.kind == "person":
        wf.result = single_result(lead, wf.enrichment_type, bool(credits))


def single_result(lead: Lead, etype: str, ok: bool) -> dict[str, Any]:
    """The `result` object of a terminal single-person run."""
    f = lead.found
    names = ("full_name", "first_name", "last_name", "linkedin_url", "title", "company", "provider")
    out: dict[str, Any] = {"lead_id": lead.lead_id, "status": "completed" if ok else "failed"}
    out.update({k: f.get(k) for k in names})
    out.update(email=f.get("email"), email_status=f.get("email_status") if f.get("email") else None,
               phone=f.get("phone"), enrichment_type=etype)
    return out


def advance(wf: Workflow, leads: dict[str, Lead], now: float) -> bool:
    """Process every lead whose finish time has passed; True if the run just became terminal."""
    if wf.status in ("completed", "failed", "cancelled"):
        return False
    while wf.done < len(wf.lead_ids) and wf.finish_at[wf.done] <= now:
        if wf.fail_at is not None and wf.done >= wf.fail_at:
            wf.status = "failed"
            return True
        lead = leads.get(wf.lead_ids[wf.done])
        if lead is not None:
            _process(wf, lead)
        else:
            wf.failed += 1
        wf.done += 1
    if wf.done == len(wf.lead_ids):
        wf.status = "completed"
        return True
    wf.status = "running" if now >= wf.start_at else "pending"
    return False


def _refund(wf: Workflow, terminal: bool) -> dict[str, Any]:
    if not terminal:
        return {"refund_status": None, "refund_message": None}
    if wf.held:
        return {"refund_status": "pending_review", "refund_message": (
            f"This run failed after charging {wf.charged} credits; the unused reservation of "
            f"{wf.held} credits is pending manual review.")}
    return {"refund_status": "not_applicable", "refund_message": None}


def status_body(wf: Workflow) -> dict[str, Any]:
    """The WorkflowStatusResponse fields of a workflow (without the envelope)."""
    total = len(wf.lead_ids)
    terminal = wf.status in ("completed", "failed", "cancelled")
    return {
        "workflow_id": wf.workflow_id, "status": wf.status,
        "progress": 100 if terminal else wf.done * 100 // max(total, 1),
        "total": total, "processed": wf.completed + wf.failed,
        "completed": wf.completed, "failed": wf.failed,
        "enrichment_type": wf.enrichment_type, "lead_list_id": wf.list_id,
        "summary": {"emails_found": wf.emails_found, "phones_found": wf.phones_found},
        **_refund(wf, terminal),
        "result": wf.result if terminal and wf.kind == "person" else None,
        "credits_charged": wf.charged, "credits_refunded": wf.refunded,
        "task_id": wf.task_id,
    }
