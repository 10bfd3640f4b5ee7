"""The run journal: per run, intent before every paid call and the answer after; list, bulk and
legacy-batch ids the moment they exist."""

from __future__ import annotations

import json
import time
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from itertools import islice
from typing import Any, cast

from csv_enrich.journal.store import (
    COVERS,
    PARTS,
    _keys,
    _Store,
    outcome_from_json,
    outcome_to_json,
)
from csv_enrich.models import EnrichmentType, Kind, Outcome, WorkflowRecord
from csv_enrich.models import scope_of as scope_of  # its home was here; callers still find it

_OUTCOME = ("INSERT INTO items (run_id, key, outcome) VALUES (?, ?, ?) "
            "ON CONFLICT (run_id, key) DO UPDATE SET outcome=excluded.outcome")


@dataclass(frozen=True)
class ItemState:
    """What the journal knows about one identity of a run.

    intent without workflow id and without outcome = a paid call whose answer was lost.
    """

    key: str
    intent_at: float | None
    workflow_id: str | None
    reserved: int
    outcome: Outcome | None


@dataclass(frozen=True)
class BulkIntent:
    """A bulk run about to be paid: its single-use quote and what the quote said it costs."""

    quote_id: str
    cost: int
    at: float


@dataclass(frozen=True)
class BulkSent:
    """A bulk run that was sent: its workflow id (None when the answer was lost and the quote's
    reuse proved it ran) and what it reserved."""

    workflow_id: str | None
    reserved: int
    at: float


@dataclass(frozen=True)
class BulkState:
    """What the journal knows about a run's bulk path: the identities its list holds (chosen
    once, None before), the quote about to be paid, and the bulk run sent."""

    keys: tuple[str, ...] | None = None
    intent: BulkIntent | None = None
    sent: BulkSent | None = None

    @property
    def started(self) -> bool:
        """True once a bulk run may have been paid for (its intent or its answer recorded)."""
        return self.intent is not None or self.sent is not None


@dataclass(frozen=True)
class LegacyBatch:
    """One legacy bulk submission: its identity keys in contact order, when it was sent, and
    once answered its workflow and task ids."""

    n: int
    keys: tuple[str, ...]
    at: float
    workflow_id: str | None = None
    task_ids: tuple[str, ...] = ()


def json_list(items: Iterable[str], at_once: int = 5_000) -> str:
    """json.dumps(list(items)), the same text, made `at_once` items at a time."""
    parts, it = [], iter(items)
    while part := list(islice(it, at_once)):
        parts.append(json.dumps(part)[1:-1])
    return "[" + ", ".join(parts) + "]"


class Journal(_Store):
    """Per run: intent before every paid call, the answer after; ids the moment they exist."""

    def __enter__(self) -> Journal:
        return self

    # -- run-level facts -----------------------------------------------------------------

    def set(self, run_id: str, name: str, value: Any) -> None:
        """Record a run-level fact (list id, quote, bulk workflow id, mode, ...) as JSON."""
        self._write("INSERT OR REPLACE INTO runs_meta VALUES (?, ?, ?)",
                    run_id, name, json.dumps(value))

    def get(self, run_id: str, name: str, default: Any = None) -> Any:
        """A run-level fact, or `default`."""
        for (value,) in self._rows(
                "SELECT value FROM runs_meta WHERE run_id=? AND name=?", run_id, name):
            return json.loads(value)
        return default

    def known(self, run_id: str) -> bool:
        """True when anything was recorded for `run_id` (a resume or a replay)."""
        for _ in self._rows("SELECT 1 FROM runs_meta WHERE run_id=? UNION ALL "
                            "SELECT 1 FROM items WHERE run_id=? LIMIT 1", run_id, run_id):
            return True
        return False

    def finish_run(self, run_id: str, reported_charged: int, *, finished: bool) -> None:
        """Record what the run's latest report claims as charged (the next invocation's
        `charged_now` is counted from it) and, when it ended, that it is finished."""
        self.set(run_id, "reported_charged", reported_charged)
        if finished:
            self.set(run_id, "finished", True)

    def reported_charged(self, run_id: str) -> int:
        """What the run's latest report claimed as charged (0 before any report)."""
        return int(self.get(run_id, "reported_charged", 0))

    def forget(self, run_id: str, name: str) -> None:
        """Drop a run-level fact (e.g. a quote that expired unused)."""
        self._write("DELETE FROM runs_meta WHERE run_id=? AND name=?", run_id, name)

    # -- typed run-level facts (runs_meta names: mode, balance_before, list_<role>, bulk_*) ---

    def record_mode(self, run_id: str, mode: str) -> None:
        """Record the mode the run goes on in (a resume keeps it: `started_mode`)."""
        self.set(run_id, "mode", mode)

    def started_mode(self, run_id: str) -> str | None:
        """The mode the run started in, or None for a new run."""
        mode = self.get(run_id, "mode")
        return None if mode is None else str(mode)

    def note_unavailable(self, scope: str, mode: str) -> None:
        """Record that the account behind `scope` refused strategy `mode` (e.g. CSV import
        answered 503): later runs of the account go straight to its fallback for a while."""
        self.set(f"account:{scope}", f"unavailable_{mode}", time.time())

    def unavailable_since(self, scope: str, mode: str) -> float | None:
        """Seconds since the account last refused strategy `mode`, or None if it never did."""
        at = self.get(f"account:{scope}", f"unavailable_{mode}")
        return None if at is None else max(0.0, time.time() - float(at))

    def first_balance(self, run_id: str, balance: int) -> int:
        """The balance when the run first started: recorded now if this is the first time."""
        first = self.balance_before(run_id)
        if first is None:
            self.set(run_id, "balance_before", balance)
            return balance
        return first

    def balance_before(self, run_id: str) -> int | None:
        """The balance `first_balance` recorded for the run, or None before it started."""
        first = self.get(run_id, "balance_before")
        return None if first is None else int(first)

    def record_list(self, run_id: str, role: str, list_id: str) -> None:
        """Record the run's lead list for `role` ("rows", "bulk", ...) the moment it exists."""
        self.set(run_id, f"list_{role}", list_id)

    def list_id(self, run_id: str, role: str) -> str | None:
        """The run's lead list for `role`, if one was made."""
        list_id = self.get(run_id, f"list_{role}")
        return None if list_id is None else str(list_id)

    def record_bulk_keys(self, run_id: str, keys: Iterable[str]) -> None:
        """Record which identities the run's bulk list holds (chosen once, before the import):
        the JSON list `set` writes, made a few thousand keys at a time (no list of them all)."""
        self._write("INSERT OR REPLACE INTO runs_meta VALUES (?, ?, ?)",
                    run_id, "bulk_keys", json_list(keys))

    def record_bulk_intent(self, run_id: str, quote_id: str, cost: int) -> BulkIntent:
        """Record, before the paid call, the quote a bulk run is about to be sent with."""
        intent = BulkIntent(quote_id, cost, time.time())
        self.set(run_id, "bulk_intent", asdict(intent))
        return intent

    def record_bulk_sent(self, run_id: str, workflow_id: str | None, reserved: int) -> BulkSent:
        """Record that the bulk run was sent (its workflow id, or None when that was lost)."""
        sent = BulkSent(workflow_id, reserved, time.time())
        self.set(run_id, "bulk_workflow", asdict(sent))
        return sent

    def bulk_state(self, run_id: str) -> BulkState:
        """Everything recorded about the run's bulk path."""
        keys, intent, sent = (self.get(run_id, name)
                              for name in ("bulk_keys", "bulk_intent", "bulk_workflow"))
        return BulkState(
            keys=None if keys is None else tuple(keys),
            intent=None if intent is None else BulkIntent(
                str(intent["quote_id"]), int(intent["cost"]), float(intent["at"])),
            sent=None if sent is None else BulkSent(
                sent["workflow_id"], int(sent.get("reserved") or 0), float(sent["at"])),
        )

    def record_legacy_batch(self, run_id: str, batch: LegacyBatch) -> None:
        """Record a legacy batch: before it is sent (intent), and again with its ids."""
        self.set(run_id, f"legacy_batch_{batch.n}", {
            "keys": list(batch.keys), "at": batch.at, "workflow_id": batch.workflow_id,
            "task_ids": list(batch.task_ids)})
        if batch.n >= int(self.get(run_id, "legacy_batches") or 0):
            self.set(run_id, "legacy_batches", batch.n + 1)

    def forget_legacy_batch(self, run_id: str, n: int) -> None:
        """Drop a legacy batch known never to have started (its people may be sent again)."""
        self.forget(run_id, f"legacy_batch_{n}")

    def legacy_batches(self, run_id: str) -> tuple[int, list[LegacyBatch]]:
        """How many legacy batches the run numbered, and those still recorded."""
        count = int(self.get(run_id, "legacy_batches") or 0)
        records = ((n, self.get(run_id, f"legacy_batch_{n}")) for n in range(count))
        return count, [LegacyBatch(n, tuple(r["keys"]), float(r["at"]), r.get("workflow_id"),
                                   tuple(r.get("task_ids") or ())) for n, r in records if r]

    # -- per identity ----------------------------------------------------------------------

    def intent(self, run_id: str, key: str, reserved: int) -> None:
        """Record that a paid call for `key` is about to be sent."""
        self._write(
            "INSERT INTO items (run_id, key, intent_at, reserved) VALUES (?, ?, ?, ?) "
            "ON CONFLICT (run_id, key) DO UPDATE SET intent_at=excluded.intent_at, "
            "reserved=excluded.reserved, workflow_id=NULL",
            run_id, key, time.time(), reserved)

    def submitted(self, run_id: str, key: str, workflow_id: str, reserved: int) -> None:
        """Record the answer to a paid call: the workflow it started."""
        self._write("UPDATE items SET workflow_id=?, reserved=? WHERE run_id=? AND key=?",
                    workflow_id, reserved, run_id, key)

    def record_outcome(self, run_id: str, outcome: Outcome) -> None:
        """Record how an identity ended (it will not be sent again in this run)."""
        self._write(_OUTCOME, run_id, outcome.key, outcome_to_json(outcome))

    def record_outcomes(self, run_id: str, outcomes: Iterable[Outcome]) -> None:
        """Record many outcomes in one transaction (bulk mode), each as it is walked."""
        with self._conn:
            self._conn.execute("BEGIN")
            self._conn.executemany(_OUTCOME, ((run_id, o.key, outcome_to_json(o))
                                              for o in outcomes))

    def clear_intent(self, run_id: str, key: str) -> None:
        """Forget an intent known not to have been carried out (the call was refused)."""
        self._write("DELETE FROM items WHERE run_id=? AND key=? AND outcome IS NULL",
                    run_id, key)

    def items(self, run_id: str) -> dict[str, ItemState]:
        """Everything known about the run's identities, by key."""
        return {
            key: ItemState(key, intent_at, wf, reserved,
                           outcome_from_json(out) if out else None)
            for key, intent_at, wf, reserved, out in self._rows(
                "SELECT key, intent_at, workflow_id, reserved, outcome FROM items "
                "WHERE run_id=?", run_id)
        }

    def claim_lead(self, run_id: str, lead_id: str) -> None:
        """Record that `lead_id` in the run's list belongs to a submission whose end is known."""
        self._write("INSERT OR IGNORE INTO leads VALUES (?, ?)", run_id, lead_id)

    def claimed_leads(self, run_id: str) -> frozenset[str]:
        """The lead ids claim_lead recorded for the run."""
        return frozenset(lead for (lead,) in self._rows("SELECT lead_id FROM leads WHERE run_id=?",
                                                      run_id))

    # -- across runs: who may already have been paid for ------------------------------------

    def register(self, run_id: str, scope: str, kind: Kind, enrichment_type: EnrichmentType,
                 idents: Iterable[tuple[str, Sequence[str]]]) -> None:
        """Record, before anything is paid, every alias of the run's identities (key, aliases),
        so a later run with another file or options finds what this one may have paid for."""
        with self._conn:
            self._conn.execute("BEGIN")
            for key, aliases in idents:
                for alias in dict.fromkeys((key, *aliases)):
                    self._conn.execute(
                        "INSERT OR IGNORE INTO submissions VALUES (?, ?, ?, ?, ?, ?)",
                        (scope, kind, alias, enrichment_type, run_id, key))

    def earlier(self, scope: str, kind: Kind, enrichment_type: EnrichmentType,
                aliases: Sequence[str], *, exclude_run: str, any_part: bool = False,
                ) -> list[tuple[str, str, EnrichmentType]]:
        """Other runs (same scope, same or stronger type; with `any_part`, any type sharing a
        part with it) that hold any of `aliases`: (run id, the key there, its enrichment type),
        latest registrations first."""
        wanted, types = _keys(aliases), COVERS[enrichment_type]
        if any_part:
            types = tuple(t for t, parts in PARTS.items()
                          if set(parts) & set(PARTS[enrichment_type]))
        if kind == "company":  # a company lookup is the same whatever --type said
            types = tuple(PARTS)
        return [(r, k, cast(EnrichmentType, t)) for r, k, t in self._rows(
            f"SELECT DISTINCT run_id, key, enrichment_type FROM submissions WHERE scope=? "
            f"AND kind=? AND alias IN ({','.join('?' * len(wanted))}) AND enrichment_type IN "
            f"({','.join('?' * len(types))}) AND run_id!=? ORDER BY rowid DESC",
            scope, kind, *wanted, *types, exclude_run)]

    # -- bulk ------------------------------------------------------------------------------

    def chunk_imported(self, run_id: str, idx: int, rows_imported: int) -> None:
        """Record that csv-import chunk `idx` landed."""
        self._write("INSERT OR REPLACE INTO chunks VALUES (?, ?, ?)", run_id, idx, rows_imported)

    def chunks(self, run_id: str) -> dict[int, int]:
        """Imported chunks: index -> rows imported."""
        return dict(self._rows("SELECT idx, rows_imported FROM chunks WHERE run_id=?", run_id))

    # -- workflows -------------------------------------------------------------------------

    def record_workflow(self, run_id: str, record: WorkflowRecord) -> None:
        """Record (or update) a workflow's settled figures."""
        self._write("INSERT OR REPLACE INTO workflows VALUES (?, ?, ?)",
                    run_id, record.workflow_id, json.dumps(asdict(record)))

    def workflow_owner(self, workflow_id: str) -> str | None:
        """The run that claimed a workflow's charge (recorded it first), or None."""
        for (run_id,) in self._rows("SELECT run_id FROM workflows WHERE workflow_id=? "
                                    "ORDER BY rowid LIMIT 1", workflow_id):
            return str(run_id)
        return None

    def workflows(self, run_id: str) -> tuple[WorkflowRecord, ...]:
        """The run's workflows as last recorded."""
        return tuple(WorkflowRecord(**json.loads(r)) for (r,) in self._rows(
            "SELECT record FROM workflows WHERE run_id=? ORDER BY rowid", run_id))
