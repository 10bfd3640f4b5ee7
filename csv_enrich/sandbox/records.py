"""The sandbox's stored records: plain mutable dataclasses, serialisable with dataclasses.asdict."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class Org:
    """An organisation: the owner of the balance, lists and leads."""

    org_id: str
    name: str
    balance: int


@dataclass
class Key:
    """An API key of a user of an organisation, with its scopes."""

    key: str
    key_id: str
    org_id: str
    scopes: list[str]
    created_at: str
    name: str | None = None
    last_used_at: str | None = None


@dataclass
class Lead:
    """A person in the organisation, with what enrichment found so far."""

    lead_id: str
    org_id: str
    identity: str
    raw: dict[str, Any]
    found: dict[str, Any] = field(default_factory=dict)  # LeadRow fields + email_status

    @property
    def enriched(self) -> bool:
        """True once an email or a phone was found."""
        return bool(self.found.get("email") or self.found.get("phone"))


@dataclass
class LeadList:
    """A lead list: ordered membership of lead ids."""

    list_id: str
    org_id: str
    name: str
    created_at: str
    description: str | None = None
    folder_id: str | None = None
    lead_ids: list[str] = field(default_factory=list)
    protected: bool = False  # e.g. the legacy API's "Extension Leads" list


@dataclass
class Task:
    """A cohort handle (cl-task_...): a set of entity ids, possibly bound to a workflow."""

    task_id: str
    org_id: str
    entity_kind: str
    entity_ids: list[str]
    workflow_id: str | None = None


@dataclass
class Workflow:
    """An async enrichment run; advanced lazily from wall-clock time."""

    workflow_id: str
    kind: str  # "person" | "bulk" | "legacy"
    org_id: str
    list_id: str
    enrichment_type: str  # partial | phone_only | full
    lead_ids: list[str]  # in finishing order
    finish_at: list[float]  # epoch seconds, ascending, one per lead
    start_at: float
    reserved: int
    task_id: str
    done: int = 0
    completed: int = 0
    failed: int = 0
    emails_found: int = 0
    phones_found: int = 0
    pending_charges: list[list[Any]] = field(default_factory=list)  # [identity, credits]
    charged: int | None = None
    refunded: int | None = None
    status: str = "pending"
    result: dict[str, Any] | None = None
    fail_at: int | None = None  # the run fails once this many leads are done
    held: int = 0  # unused reservation kept for manual review (failed run that charged)
    # legacy runs (kind "legacy"): not prepaid, each contact charged as its task completes
    paid: int = 0  # credits charged so far
    unpaid: list[str] = field(default_factory=list)  # leads whose task failed: balance ran out
    legacy_tasks: list[str] = field(default_factory=list)  # task ids in submission order
