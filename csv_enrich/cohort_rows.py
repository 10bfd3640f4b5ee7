"""The pure part of a cohort run: data points to kind and type, the checks the API makes, and
one Outcome per entity from what the API answered. No I/O here."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from csv_enrich.api.client import ClientStats
from csv_enrich.api.wire import CohortEntity, Lead, WorkflowStatus
from csv_enrich.engine.context import found_credits
from csv_enrich.errors import UsageError
from csv_enrich.models import EnrichmentType, Kind, Mode, Outcome, RowStatus, WorkflowRecord

if TYPE_CHECKING:
    from csv_enrich.read.table import Table

PERSON_POINTS = ("Email", "Phone", "LinkedIn")
COMPANY_POINTS = ("Industry", "Employees", "Revenue", "Funding", "TechStack", "Domain")
COMPANY_NOTE = "cohort pricing: about 1 credit per 10 companies found"
HEADER = "entity_id"
NOT_LEADS = ("None of the cohort's entity ids is a lead id of list {list_id} (a search cohort's "
             "prospect ids?): the rows cannot show the results; they are in that list.")
MISMATCH = ("The cohort's workflow settled {settled:,} credits but the rows add up to {rows:,} "
            "(per-row credits are worked out from what was found: email 1, phone 10).")


def points_kind(points: Sequence[str]) -> tuple[Kind, tuple[str, ...]]:
    """--data-points (any case) -> the cohort kind they are for and their canonical spelling.
    Unknown names, none at all, or person and company points together are refused."""
    known = {p.casefold(): p for p in (*PERSON_POINTS, *COMPANY_POINTS)}
    wanted = [p.strip() for p in points if p.strip()]
    if not wanted:
        raise UsageError(f"--data-points is empty. Person cohorts: {', '.join(PERSON_POINTS)}; "
                         f"company cohorts: {', '.join(COMPANY_POINTS)}.")
    if unknown := [p for p in wanted if p.casefold() not in known]:
        raise UsageError(f"--data-points {unknown[0]!r} is not a data point. Person cohorts: "
                         f"{', '.join(PERSON_POINTS)}; company cohorts: "
                         f"{', '.join(COMPANY_POINTS)}.")
    canon = tuple(dict.fromkeys(known[p.casefold()] for p in wanted))
    person = [p for p in canon if p in PERSON_POINTS]
    if person and len(person) < len(canon):
        other = next(p for p in canon if p not in PERSON_POINTS)
        raise UsageError(f"--data-points mixes {person[0]} (person cohorts) and {other} (company "
                         "cohorts); a cohort is one or the other.")
    return ("person" if person else "company"), canon


def points_type(points: Sequence[str]) -> EnrichmentType:
    """Person data points -> enrichment type: Email + Phone full (11 a lead), Phone alone
    phone_only (10), anything else partial (1)."""
    if {"Email", "Phone"} <= set(points):
        return "full"
    return "phone_only" if "Phone" in points else "partial"


def entity_ids_of(text: str | None) -> tuple[str, ...] | None:
    """--entity-ids 'a,b' -> ('a', 'b'); None when not given; empty or repeated ids refused."""
    if text is None:
        return None
    ids = tuple(i.strip() for i in text.split(",") if i.strip())
    if not ids:
        raise UsageError("--entity-ids is empty; omit it to enrich the whole cohort.")
    seen: set[str] = set()
    for entity in ids:
        if entity in seen:
            raise UsageError(f"--entity-ids names {entity!r} twice; name each entity once.")
        seen.add(entity)
    return ids


def company_outcomes(entities: Sequence[CohortEntity], cost: int) -> list[Outcome]:
    """One Outcome per company entity; the cohort's cost spread over the companies found (1 per
    10), so the credits column adds up to what the API charged."""
    found = [e for e in entities if e.status == "enriched" and e.data]
    k = len(found)
    share = {e.entity_id: _ceil((n + 1) * cost, k) - _ceil(n * cost, k)  # first rows first
             for n, e in enumerate(found)}
    return [_company(e, share.get(e.entity_id, 0)) for e in entities]


def _ceil(a: int, b: int) -> int:
    return -(-a // b)


def _company(entity: CohortEntity, credits: int) -> Outcome:
    if entity.status == "enriched" and entity.data:
        return Outcome(entity.entity_id, "enriched", note=COMPANY_NOTE, credits=credits,
                       data=dict(entity.data))
    if entity.error == "not_found" or entity.status == "enriched":
        return Outcome(entity.entity_id, "not_found", note="company not found (free)")
    status: RowStatus = "skipped" if entity.status == "skipped" else "failed"
    return Outcome(entity.entity_id, status, note=entity.error or f"the API said {status}")


def person_outcomes(ids: Sequence[str], leads: Mapping[str, Lead], status: WorkflowStatus,
                    etype: EnrichmentType) -> dict[str, Outcome]:
    """One Outcome per person entity, joined to the target list's leads by id; every row failed
    (with the API's words) when the workflow did not complete."""
    if status.status != "completed":
        note = status.refund_message or f"the cohort's workflow ended {status.status}"
        return {k: Outcome(k, "failed", note=note, workflow_id=status.workflow_id) for k in ids}
    out: dict[str, Outcome] = {}
    for key in ids:
        lead = leads.get(key)
        credits = found_credits(etype, lead.data) if lead else 0
        state: RowStatus = "enriched" if credits else "not_found"
        note = "" if lead else "no lead with this id came back in the list"
        out[key] = Outcome(key, state, note=note, credits=credits,
                           data=dict(lead.data) if lead and credits else {},
                           workflow_id=status.workflow_id)
    return out


def row_warnings(ids: Sequence[str], leads: Mapping[str, Lead], status: WorkflowStatus,
                 outcomes: Mapping[str, Outcome], list_id: str) -> list[str]:
    """What to say when the rows cannot carry what the workflow settled."""
    out = []
    if status.status == "completed" and leads and not set(ids) & set(leads):
        out.append(NOT_LEADS.format(list_id=list_id))
    rows = sum(o.credits for o in outcomes.values())
    if status.credits_charged is not None and status.credits_charged != rows:
        out.append(MISMATCH.format(settled=status.credits_charged, rows=rows))
    return out


def cohort_table(task_id: str, ids: Sequence[str]) -> Table:
    """The output's own columns for a cohort: one row per entity, its id."""
    from pathlib import Path

    import polars as pl

    from csv_enrich.read.table import Table

    frame = pl.DataFrame({HEADER: list(ids)}, schema={HEADER: pl.String})
    return Table(path=Path(task_id), format="cohort", frame=frame, headers=(HEADER,),
                 source_rows=tuple(range(2, len(ids) + 2)), sheet=task_id[:31] or "Cohort")


@dataclass
class CohortDone:
    """What a cohort run ended with, before the report is built."""

    mode: Mode
    ids: list[str]
    outcomes: dict[str, Outcome]
    workflows: tuple[WorkflowRecord, ...]
    reserved: int
    status: WorkflowStatus | None
    balance_before: int | None = None
    balance_after: int | None = None
    resumed: bool = False
    stats: ClientStats | None = None
