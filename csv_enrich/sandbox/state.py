"""SandboxState: organisations, keys, balance, lists, leads, workflows, tasks, quotes, ledger.

All mutation happens under `lock` (the app runs on uvicorn's loop thread, tests read from theirs).
Routes translate HTTP into calls here; nothing here knows about HTTP beyond raising ApiError.
"""

from __future__ import annotations

import hashlib
import random
import secrets
import threading
import time
import uuid
from datetime import UTC, datetime
from typing import Any

from . import persist
from .config import SandboxConfig
from .faults import Faults
from .ledger import Ledger
from .limits import RateLimiter
from .quotes import Quotes
from .records import Key, Lead, LeadList, Org, Task, Workflow
from .wire import ApiError
from .workflows import PENDING_S, advance, bulk_schedule, person_finish

DEFAULT_ORG = "org_sandbox"
# A company cohort every fresh sandbox holds, so `csv-enrich task` can be tried at once (the
# sandbox simulates no search); person cohorts come from any GET /lead-lists/{id}/leads page.
DEMO_COMPANY_TASK = "cl-task_sandbox_companies"
DEMO_COMPANIES = ("stripe.com", "notion.so", "figma.com", "airtable.com", "hubspot.com",
                  "linear.app", "vercel.com", "nobody.invalid")


def _settled(wf: Workflow) -> bool:
    if wf.kind == "legacy":
        return wf.status in ("completed", "failed", "cancelled")
    return wf.charged is not None


def iso_now() -> str:
    """The current UTC time as ISO-8601."""
    return datetime.now(UTC).isoformat(timespec="seconds")


def new_id(prefix: str) -> str:
    """A fresh random id with a readable prefix."""
    return prefix + secrets.token_hex(6)


class SandboxState:
    """The whole simulated Cleanlist backend."""

    def __init__(self, config: SandboxConfig) -> None:
        self.config = config
        self.lock = threading.RLock()
        self.orgs: dict[str, Org] = {}
        self.keys: dict[str, Key] = {}
        self.lists: dict[str, LeadList] = {}
        self.leads: dict[str, Lead] = {}
        self.workflows: dict[str, Workflow] = {}
        self.tasks: dict[str, Task] = {}
        self.idempotency: dict[str, dict[str, Any]] = {}
        self.secret = hashlib.sha256(f"sandbox-quote-{config.seed}".encode()).digest()
        self.quotes = Quotes(self.secret, config.quote_ttl_s)
        self.ledger = Ledger(config.ledger_file)
        self.csv_import = config.csv_import
        self.faults = Faults(config)
        self.limiter = RateLimiter(config.rate_limit_per_min, config.org_rate_limit_per_min,
                                   config.rate_window_s)
        self._by_identity: dict[tuple[str, str], str] = {}
        self._members: dict[str, set[str]] = {}
        self._active: list[str] = []
        if not (config.state_file and persist.load(self, config.state_file)):
            self._fresh()

    def _fresh(self) -> None:
        self.orgs[DEFAULT_ORG] = Org(DEFAULT_ORG, "Sandbox Org", self.config.credits)
        self._put_key(seeded_key(self.config.seed), DEFAULT_ORG, list(self.config.default_scopes))
        self.tasks[DEMO_COMPANY_TASK] = Task(DEMO_COMPANY_TASK, DEFAULT_ORG, "company",
                                             list(DEMO_COMPANIES))

    def reindex(self) -> None:
        """Rebuild the derived indexes after loading."""
        self._by_identity = {(ld.org_id, ld.identity): ld.lead_id for ld in self.leads.values()}
        self._members = {}
        self._active = [w for w, wf in self.workflows.items() if not _settled(wf)]

    # -- keys -------------------------------------------------------------------------------
    def _put_key(self, key: str, org_id: str, scopes: list[str]) -> Key:
        rec = Key(key, new_id("ak_"), org_id, scopes, iso_now())
        self.keys[key] = rec
        return rec

    @property
    def default_key(self) -> str:
        """The first key of the default organisation."""
        return next(k.key for k in self.keys.values() if k.org_id == DEFAULT_ORG)

    def add_key(self, scopes: list[str], org_id: str = DEFAULT_ORG, credits: int = 0) -> str:
        """Mint a key with these scopes (in a new organisation when `org_id` is unknown)."""
        with self.lock:
            if org_id not in self.orgs:
                self.orgs[org_id] = Org(org_id, org_id, credits)
            return self._put_key("clapi_" + secrets.token_urlsafe(36), org_id, scopes).key

    def auth(self, key: str) -> Key | None:
        """The key record of a bearer token, or None."""
        return self.keys.get(key)

    # -- money ------------------------------------------------------------------------------
    def balance(self, org_id: str = DEFAULT_ORG) -> int:
        """The organisation's balance after settling whatever is due."""
        with self.lock:
            self.tick()
            return self.orgs[org_id].balance

    def reserve(self, org_id: str, cost: int, what: str) -> None:
        """Take `cost` credits now, or raise insufficient_credits."""
        self.check_funds(org_id, cost, what)
        self.orgs[org_id].balance -= cost

    def check_funds(self, org_id: str, cost: int, what: str) -> None:
        """Raise insufficient_credits (400) unless the balance covers `cost`."""
        org = self.orgs[org_id]
        if org.balance < cost:
            raise ApiError(
                "insufficient_credits",
                f"This {what} call requires {cost} credits; organization has {org.balance}.",
                estimated_cost_credits=cost, available_credits=org.balance,
                shortfall_credits=cost - org.balance,
            )

    def tick(self, now: float | None = None) -> None:
        """Advance every active workflow to `now`, settling those that finished."""
        now = time.time() if now is None else now
        with self.lock:
            for wf_id in list(self._active):
                wf = self.workflows[wf_id]
                ended = advance(wf, self.leads, now)
                if wf.kind == "legacy":
                    self._pay_as_done(wf, ended)
                elif ended:
                    self._settle(wf)

    def _pay_as_done(self, wf: Workflow, ended: bool) -> None:
        """A legacy run is not prepaid: each contact is charged the moment its task completes;
        one the balance no longer covers ends failed, unpaid (CONTRACT.md assumption 23)."""
        org = self.orgs[wf.org_id]
        for identity, credits in wf.pending_charges:
            if org.balance < credits:
                wf.unpaid.append(self._by_identity.get((wf.org_id, identity), ""))
                continue
            org.balance -= credits
            wf.paid += credits
            self.ledger.charge(identity, "person", wf.workflow_id, credits)
        wf.pending_charges = []
        if ended:
            self.ledger.settle(wf.workflow_id, 0, wf.paid, 0)
            self._active.remove(wf.workflow_id)

    def _settle(self, wf: Workflow) -> None:
        for identity, credits in wf.pending_charges:
            self.ledger.charge(identity, "person", wf.workflow_id, credits)
        wf.charged = sum(c for _, c in wf.pending_charges)
        wf.refunded = wf.reserved - wf.charged
        if wf.status == "failed" and wf.charged > 0:  # no automatic refund: pending_review
            wf.held, wf.refunded = wf.refunded, 0
        wf.pending_charges = []
        self.orgs[wf.org_id].balance += wf.refunded
        self.ledger.settle(wf.workflow_id, wf.reserved, wf.charged, wf.refunded, wf.held)
        self._active.remove(wf.workflow_id)

    # -- lists and leads --------------------------------------------------------------------
    def create_list(self, org_id: str, body: dict[str, Any]) -> tuple[LeadList, bool]:
        """Create a list, or return the one with the same name (case-insensitive) and True."""
        name = body["name"]
        for lst in self.lists.values():
            if lst.org_id == org_id and lst.name.casefold() == name.casefold():
                return lst, True
        if sum(lst.org_id == org_id for lst in self.lists.values()) >= self.config.list_cap:
            raise ApiError("list_cap_reached",
                           f"The organisation already has {self.config.list_cap} lists.")
        lst = LeadList(new_id("list_"), org_id, name, iso_now(), body.get("description"),
                       body.get("folder_id"))
        self.lists[lst.list_id] = lst
        return lst, False

    def get_list(self, org_id: str, list_id: str) -> LeadList:
        """The organisation's list, or 404."""
        lst = self.lists.get(list_id)
        if lst is None or lst.org_id != org_id:
            raise ApiError("not_found", f"Lead list '{list_id}' not found or not accessible.")
        return lst

    def members(self, lst: LeadList) -> set[str]:
        """The set of lead ids in a list (cached)."""
        if lst.list_id not in self._members:
            self._members[lst.list_id] = set(lst.lead_ids)
        return self._members[lst.list_id]

    def upsert_lead(self, org_id: str, identity: str, raw: dict[str, Any]) -> Lead:
        """The organisation's lead for this identity, created when new."""
        lead_id = self._by_identity.get((org_id, identity))
        if lead_id is not None:
            return self.leads[lead_id]
        lead = Lead(new_id("lead_"), org_id, identity, raw)
        self.leads[lead.lead_id] = lead
        self._by_identity[(org_id, identity)] = lead.lead_id
        return lead

    def add_to_list(self, lst: LeadList, lead_id: str) -> bool:
        """Add a lead to a list; False if it was already there."""
        members = self.members(lst)
        if lead_id in members:
            return False
        members.add(lead_id)
        lst.lead_ids.append(lead_id)
        return True

    def remove_from_list(self, lst: LeadList, lead_ids: list[str]) -> int:
        """Remove leads from a list; unknown ids are no-ops; returns how many went."""
        gone = self.members(lst) & set(lead_ids)
        lst.lead_ids = [lid for lid in lst.lead_ids if lid not in gone]
        self._members[lst.list_id] -= gone
        return len(gone)

    def delete_list(self, lst: LeadList) -> None:
        """Delete a list (its leads survive)."""
        del self.lists[lst.list_id]
        self._members.pop(lst.list_id, None)

    def enriched_count(self, lst: LeadList) -> int:
        """Leads of the list with an email or a phone found."""
        return sum(1 for lid in lst.lead_ids if self.leads[lid].enriched)

    # -- workflows and tasks ----------------------------------------------------------------
    def new_task(self, org_id: str, kind: str, ids: list[str], wf_id: str | None = None) -> str:
        """A cohort handle over `ids`."""
        task = Task(new_id("cl-task_"), org_id, kind, ids, wf_id)
        self.tasks[task.task_id] = task
        return task.task_id

    def get_task(self, org_id: str, task_id: str) -> Task:
        """The organisation's cohort, or 404."""
        task = self.tasks.get(task_id)
        if task is None or task.org_id != org_id:
            raise ApiError("not_found", f"Task '{task_id}' not found or expired.")
        return task

    def start_run(
        self, org_id: str, lst: LeadList, lead_ids: list[str], etype: str, kind: str
    ) -> Workflow:
        """Reserve and start an async run over `lead_ids` (single person or bulk)."""
        from .workflows import PRICE

        cost = PRICE.get(etype, 1 if etype == "prospecting_only" else 0) * len(lead_ids)
        if kind == "legacy":  # not prepaid: the balance must cover the most it can cost
            self.check_funds(org_id, cost, "enrich/bulk")
            cost = 0
        else:
            self.reserve(org_id, cost, "enrich_person" if kind == "person" else "enrich_list")
        prefix = {"person": "enrich-", "legacy": "public_bulk_"}.get(kind, "bulk-enrich-")
        wf_id = prefix + (str(uuid.uuid4()) if kind == "legacy" else secrets.token_hex(6))
        now, scale = time.time(), self.config.time_scale
        start = now + PENDING_S * scale
        if kind == "person":
            order, finish = lead_ids, [person_finish(self.leads[lead_ids[0]].identity, now, scale)]
        else:
            order, finish = bulk_schedule(lead_ids, start, scale, self.config.bulk_parallelism)
        task_id = self.new_task(org_id, "person", list(lead_ids), wf_id)
        wf = Workflow(wf_id, kind, org_id, lst.list_id, etype, order, finish, start, cost, task_id)
        wf.fail_at = self._failure_point(len(order))
        self.workflows[wf_id] = wf
        self._active.append(wf_id)
        return wf

    def _failure_point(self, leads: int) -> int | None:
        """Where a new run fails (seeded by the run's ordinal), or None when it succeeds."""
        rng = random.Random(f"{self.config.seed}:{len(self.workflows)}")
        return leads // 2 if rng.random() < self.config.workflow_failure_rate else None

    def get_workflow(self, org_id: str, ref: str) -> Workflow:
        """A workflow by id or by a cl-task_ handle bound to one, advanced to now; else 404."""
        self.tick()
        task = self.tasks.get(ref)
        wf_id = (task.workflow_id or "") if task is not None else ref
        wf = self.workflows.get(wf_id)
        if wf is None or wf.org_id != org_id:
            raise ApiError("not_found", f"Workflow '{ref}' not found.")
        return wf

    @property
    def has_active_runs(self) -> bool:
        """True while some workflow has not settled (its state still changes with time)."""
        return bool(self._active)

    def save(self) -> None:
        """Write the state file, if one is configured."""
        if self.config.state_file is not None:
            with self.lock:
                persist.save(self, self.config.state_file)


def seeded_key(seed: int) -> str:
    """The default organisation's first key in a fresh sandbox of this seed (stable)."""
    return "clapi_" + hashlib.sha256(f"sandbox-key-{seed}".encode()).hexdigest()[:48]
