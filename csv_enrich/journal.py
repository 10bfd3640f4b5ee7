"""SQLite under the state directory: the run journal (intent before every paid call) and the cache.

One file, ``journal.sqlite3``, in WAL mode with autocommit: every write is durable the moment the
method returns, so a crash, kill -9 or Ctrl-C right after it loses nothing.

    runs_meta(run_id, name, value)           list ids, bulk keys/intent/workflow, mode, first
                                             balance (read and written by the typed methods)
    items(run_id, key, ...)                  per identity: intent -> workflow id -> outcome
    chunks(run_id, idx, rows_imported)       csv-import chunks that landed
    workflows(run_id, workflow_id, record)   settled workflow records for the report
    leads(run_id, lead_id)                   leads known to belong to answered submissions
    submissions(scope, kind, alias, ...)     which run may have paid for whom (by every alias)
    runs(run_id, scope, ...)                 past runs: when, input, output, command, final report
    results(scope, kind, alias, ...)         the result cache: reusable by later runs

`scope` is a one-way hash of the API base URL and the key (`scope_of`), never the key itself: a
result bought from one endpoint or organisation is never served for another.

Nothing here knows the Cleanlist wire format; values are our own records as JSON.
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, cast

from csv_enrich.models import EnrichmentType, Kind, Outcome, WorkflowRecord
from csv_enrich.models import scope_of as scope_of  # its home was here; callers still find it

FILENAME = "journal.sqlite3"
_SCHEMA = """
CREATE TABLE IF NOT EXISTS runs_meta (
    run_id TEXT NOT NULL, name TEXT NOT NULL, value TEXT NOT NULL,
    PRIMARY KEY (run_id, name));
CREATE TABLE IF NOT EXISTS items (
    run_id TEXT NOT NULL, key TEXT NOT NULL, intent_at REAL, workflow_id TEXT,
    reserved INTEGER NOT NULL DEFAULT 0, outcome TEXT, PRIMARY KEY (run_id, key));
CREATE TABLE IF NOT EXISTS chunks (
    run_id TEXT NOT NULL, idx INTEGER NOT NULL, rows_imported INTEGER NOT NULL,
    PRIMARY KEY (run_id, idx));
CREATE TABLE IF NOT EXISTS workflows (
    run_id TEXT NOT NULL, workflow_id TEXT NOT NULL, record TEXT NOT NULL,
    PRIMARY KEY (run_id, workflow_id));
CREATE TABLE IF NOT EXISTS results (
    scope TEXT NOT NULL, kind TEXT NOT NULL, alias TEXT NOT NULL, enrichment_type TEXT NOT NULL,
    stored_at REAL NOT NULL, run_id TEXT NOT NULL, outcome TEXT NOT NULL,
    PRIMARY KEY (scope, kind, alias, enrichment_type));
CREATE TABLE IF NOT EXISTS leads (
    run_id TEXT NOT NULL, lead_id TEXT NOT NULL, PRIMARY KEY (run_id, lead_id));
CREATE TABLE IF NOT EXISTS runs (
    run_id TEXT PRIMARY KEY, scope TEXT NOT NULL, started_at REAL NOT NULL,
    last_started_at REAL NOT NULL, finished_at REAL, input TEXT NOT NULL, output TEXT NOT NULL,
    command TEXT NOT NULL, report TEXT);
CREATE TABLE IF NOT EXISTS submissions (
    scope TEXT NOT NULL, kind TEXT NOT NULL, alias TEXT NOT NULL, enrichment_type TEXT NOT NULL,
    run_id TEXT NOT NULL, key TEXT NOT NULL, PRIMARY KEY (scope, kind, alias, run_id));
"""


def default_state_dir() -> Path:
    """The user's state directory for csv-enrich (``CSV_ENRICH_STATE_DIR`` is the CLI's job)."""
    import platformdirs

    return Path(platformdirs.user_state_dir("csv-enrich"))


# An enrichment type whose results also satisfy the key's (full covers both others).
COVERS: Mapping[str, tuple[str, ...]] = {
    "partial": ("partial", "full"), "phone_only": ("phone_only", "full"), "full": ("full",)}


def _connect(state_dir: Path) -> sqlite3.Connection:
    state_dir.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(state_dir / FILENAME, isolation_level=None, timeout=30.0)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    conn.executescript(_SCHEMA)
    return conn


def outcome_to_json(outcome: Outcome) -> str:
    """An Outcome as JSON (the journal's storage form)."""
    return json.dumps({**asdict(outcome), "data": dict(outcome.data)})


def outcome_from_json(text: str) -> Outcome:
    """The inverse of outcome_to_json."""
    raw = json.loads(text)
    return Outcome(**raw)


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


class _Store:
    """An open SQLite connection, closable and usable as a context manager."""

    def __init__(self, state_dir: Path) -> None:
        self.path = state_dir / FILENAME
        self._conn = _connect(state_dir)

    def close(self) -> None:
        self._conn.close()

    def __enter__(self) -> _Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _rows(self, sql: str, *args: Any) -> Iterator[tuple[Any, ...]]:
        return iter(self._conn.execute(sql, args).fetchall())

    def _write(self, sql: str, *args: Any) -> None:
        """Run one statement (autocommit: durable when this returns)."""
        self._conn.execute(sql, args)

    def in_hand(self, run_id: str) -> frozenset[str]:
        """Identity keys an unfinished run already paid for or has in flight (ended, submitted,
        or in its started bulk run): its resume sends nothing new for them."""
        keys: set[str] = set()
        for rid in (run_id, *(f"{run_id}+{t}" for t in PARTS)):  # and its parts at other types
            keys.update(key for (key,) in self._rows(
                "SELECT key FROM items WHERE run_id=? AND (outcome IS NOT NULL OR intent_at IS "
                "NOT NULL OR workflow_id IS NOT NULL)", rid))
            meta = dict(self._rows("SELECT name, value FROM runs_meta WHERE run_id=? AND name IN "
                                   "('bulk_keys', 'bulk_intent', 'bulk_workflow')", rid))
            if "bulk_keys" in meta and ("bulk_intent" in meta or "bulk_workflow" in meta):
                keys.update(json.loads(meta["bulk_keys"]))
        return frozenset(keys)

    def pending_aliases(self, scope: str, kind: Kind, enrichment_type: EnrichmentType, *,
                        exclude_run: str) -> frozenset[str]:
        """Every alias of the people other runs (this account, a type covering
        `enrichment_type`) submitted and never saw end: a run over them collects those results
        instead of paying (engine.prior), so an estimate counts them as paid."""
        types = COVERS[enrichment_type]
        marks = ",".join("?" * len(types))
        found = {alias for (alias,) in self._rows(
            f"SELECT s.alias FROM submissions s JOIN items i ON i.run_id=s.run_id AND i.key=s.key "
            f"WHERE s.scope=? AND s.kind=? AND s.run_id!=? AND s.enrichment_type IN ({marks}) "
            "AND i.outcome IS NULL AND (i.intent_at IS NOT NULL OR i.workflow_id IS NOT NULL)",
            scope, kind, exclude_run, *types)}
        for run_id, value in self._rows(
                "SELECT run_id, value FROM runs_meta WHERE name='bulk_keys' AND run_id!=? AND "
                "run_id IN (SELECT run_id FROM runs_meta WHERE name IN ('bulk_intent', "
                "'bulk_workflow'))", exclude_run):
            ended = {k for (k,) in self._rows(
                "SELECT key FROM items WHERE run_id=? AND outcome IS NOT NULL", run_id)}
            keys = [k for k in json.loads(value) if k not in ended]
            found.update(alias for key in keys for (alias,) in self._rows(
                f"SELECT alias FROM submissions WHERE run_id=? AND key=? AND scope=? AND kind=? "
                f"AND enrichment_type IN ({marks})", run_id, key, scope, kind, *types))
        return frozenset(found)

    def current_run(self, base: str) -> str:
        """The run a file and its options continue: `base` while it is unfinished, else the
        first of `base`-2, `base`-3, ... that has not finished. A finished run is never resumed:
        running its file again (or a copy) is a new run, which claims nothing paid before."""
        rid, n = base, 1
        while any(self._rows("SELECT 1 FROM runs_meta WHERE run_id=? AND name='finished'", rid)):
            n += 1
            rid = f"{base}-{n}"
        return rid


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
        """Record which identities the run's bulk list holds (chosen once, before the import)."""
        self.set(run_id, "bulk_keys", list(keys))

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
        self._write(
            "INSERT INTO items (run_id, key, outcome) VALUES (?, ?, ?) "
            "ON CONFLICT (run_id, key) DO UPDATE SET outcome=excluded.outcome",
            run_id, outcome.key, outcome_to_json(outcome))

    def record_outcomes(self, run_id: str, outcomes: list[Outcome]) -> None:
        """Record many outcomes in one transaction (bulk mode)."""
        with self._conn:
            self._conn.execute("BEGIN")
            for outcome in outcomes:
                self.record_outcome(run_id, outcome)

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


@dataclass(frozen=True)
class PastRun:
    """One run of the journal as `csv-enrich runs` lists it.

    `finished_at` is None while the run is going on or after it was interrupted (Ctrl-C, a
    crash, an error); `report` is the final report's JSON document once it finished.
    """

    run_id: str
    started_at: float
    last_started_at: float
    finished_at: float | None
    input: str
    output: str
    command: str
    report: Mapping[str, Any] | None
    rows: Mapping[str, int]
    credits_charged: int


class RunLog(_Store):
    """Past runs by account: started (with the command that resumes it), finished (with the
    report). Rows and credits of a run that did not finish come from its items and workflows."""

    def __enter__(self) -> RunLog:
        return self

    def started(self, run_id: str, scope: str, *, input: str, output: str, command: str) -> None:
        """Record that a run (or a resume of it) starts now."""
        now = time.time()
        self._write(
            "INSERT INTO runs VALUES (?, ?, ?, ?, NULL, ?, ?, ?, NULL) ON CONFLICT (run_id) DO "
            "UPDATE SET last_started_at=excluded.last_started_at, finished_at=NULL, "
            "output=excluded.output, command=excluded.command",
            run_id, scope, now, now, input, output, command)

    def finished(self, run_id: str, report: Mapping[str, Any]) -> None:
        """Record that the run finished, with its report's JSON document."""
        self._write("UPDATE runs SET finished_at=?, report=? WHERE run_id=?",
                    time.time(), json.dumps(report), run_id)

    def runs(self, scope: str | None) -> list[PastRun]:
        """The account's runs (every run when `scope` is None), latest first."""
        return [self._past(row) for row in self._rows(
            "SELECT run_id, started_at, last_started_at, finished_at, input, output, command, "
            "report FROM runs WHERE ? IS NULL OR scope=? ORDER BY last_started_at DESC",
            scope, scope)]

    def _past(self, row: tuple[Any, ...]) -> PastRun:
        run_id, started, last, finished, input_, output, command, report = row
        doc = json.loads(report) if report else None
        if doc is not None:
            rows = {k: int(v) for k, v in doc["rows"].items()}
            charged = int(doc["credits"]["charged"])
        else:
            rows, charged = self._so_far(run_id)
        return PastRun(run_id, started, last, finished, input_, output, command, doc, rows,
                       charged)

    def _so_far(self, run_id: str) -> tuple[dict[str, int], int]:
        """Rows by status and credits settled so far, from the items and workflows."""
        outcomes = [outcome_from_json(text) for (text,) in self._rows(
            "SELECT outcome FROM items WHERE run_id=? AND outcome IS NOT NULL", run_id)]
        rows: dict[str, int] = {}
        for outcome in outcomes:
            rows[outcome.status] = rows.get(outcome.status, 0) + 1
        settled = sum(WorkflowRecord(**json.loads(r)).credits_charged for (r,) in self._rows(
            "SELECT record FROM workflows WHERE run_id=?", run_id))
        return rows, settled or sum(o.credits for o in outcomes)


# What each enrichment type finds out about a person.
PARTS: Mapping[str, tuple[str, ...]] = {
    "partial": ("email",), "phone_only": ("phone",), "full": ("email", "phone")}


def _satisfies(kind: Kind, enrichment_type: EnrichmentType, data: Mapping[str, str]) -> bool:
    """A cached email satisfies partial, a phone phone_only; full needs both."""
    if kind == "company":
        return bool(data)
    return all(data.get(k) for k in PARTS[enrichment_type])


@dataclass(frozen=True)
class Known:
    """What the cache knows of a person: per part (email, phone) found or not, and the data."""

    parts: Mapping[str, bool]
    data: Mapping[str, str]

    def missing(self, enrichment_type: EnrichmentType) -> tuple[str, ...]:
        """The parts of `enrichment_type` the cache does not know."""
        return tuple(p for p in PARTS[enrichment_type] if p not in self.parts)


def _keys(keys: str | Sequence[str]) -> list[str]:
    return [keys] if isinstance(keys, str) else list(dict.fromkeys(keys))


class ResultCache(_Store):
    """Enriched results by every alias of an identity, reusable by any later file within max-age
    days, scoped to the API endpoint and account that bought them (see `scope_of`)."""

    def __enter__(self) -> ResultCache:
        return self

    def lookup(self, kind: Kind, keys: str | Sequence[str], enrichment_type: EnrichmentType,
               max_age_days: float, *, scope: str = "",
               exclude_run: str | None = None) -> Outcome | None:
        """A fresh enough cached result for any of `keys` (a key or every alias, the identity's
        key first) that covers `enrichment_type`, as a 0-credit Outcome under the first key.
        Results stored by run `exclude_run` are left out (a resumed run reports its own)."""
        wanted = _keys(keys)
        if kind == "person":
            known = self.known(wanted, max_age_days, scope=scope, exclude_run=exclude_run)
            return _answer(known, enrichment_type, wanted[0])
        for _, text in self._entries(kind, wanted, max_age_days, scope, exclude_run):
            data = outcome_from_json(text).data
            if _satisfies(kind, enrichment_type, data):
                return Outcome(key=wanted[0], status="enriched", note="cached", credits=0,
                               data=dict(data))
        return None

    def lookup_many(self, kind: Kind, keys: Sequence[str | Sequence[str]],
                    enrichment_type: EnrichmentType, max_age_days: float, *, scope: str = "",
                    exclude_run: str | None = None) -> list[Outcome | None]:
        """[lookup(k, ...) for k in keys] with one query: the aliases go to a temporary table
        joined with the results (none asked when the cache holds nothing of this kind)."""
        if not self.holds(kind, scope):
            return [None] * len(keys)
        wanted = [_keys(k) for k in keys]
        found = self._found(kind, wanted, time.time() - max_age_days * 86400, scope, exclude_run)
        if not found:
            return [None] * len(wanted)
        parsed: dict[str, Mapping[str, str]] = {}
        return [_first_fresh(kind, enrichment_type, w, found, parsed) for w in wanted]

    def holds(self, kind: Kind, scope: str = "") -> bool:
        """Whether anything of `kind` is cached in `scope` at all (a plan asks nothing if not)."""
        return any(self._rows("SELECT 1 FROM results WHERE scope=? AND kind=? LIMIT 1",
                              scope, kind))

    def _found(self, kind: Kind, wanted: list[list[str]], since: float, scope: str,
               exclude_run: str | None) -> dict[str, list[tuple[float, str, str]]]:
        """alias -> (stored_at, outcome, type) of each fresh enough result stored under it."""
        with self._conn:
            self._conn.execute("BEGIN")
            self._conn.execute("CREATE TEMP TABLE IF NOT EXISTS asked (alias TEXT PRIMARY KEY)")
            self._conn.execute("DELETE FROM asked")
            self._conn.executemany("INSERT OR IGNORE INTO asked VALUES (?)",
                                   ((a,) for w in wanted for a in w))
            rows = self._conn.execute(
                "SELECT r.alias, r.stored_at, r.outcome, r.enrichment_type FROM asked a "
                "JOIN results r "
                "ON r.scope=? AND r.kind=? AND r.alias=a.alias WHERE r.stored_at>=? "
                "AND (? IS NULL OR r.run_id!=?)", (scope, kind, since, exclude_run, exclude_run),
            ).fetchall()
            self._conn.execute("DELETE FROM asked")
        found: dict[str, list[tuple[float, str, str]]] = {}
        for alias, stored_at, text, etype in rows:
            found.setdefault(alias, []).append((stored_at, text, etype))
        return found
    def known(self, keys: Sequence[str], max_age_days: float, *, scope: str = "",
              exclude_run: str | None = None) -> Known:
        """What fresh results of any type say about a person (the latest result deciding each
        part): its email found or not (partial or full), its phone found or not."""
        return _known_of(self._entries("person", _keys(keys), max_age_days, scope,
                                       exclude_run))

    def _entries(self, kind: Kind, wanted: list[str], max_age_days: float, scope: str,
                 exclude_run: str | None) -> Iterator[tuple[str, str]]:
        since = time.time() - max_age_days * 86400
        marks = ",".join("?" * len(wanted))
        return self._rows(
            f"SELECT enrichment_type, outcome FROM results WHERE scope=? AND kind=? AND alias IN "
            f"({marks}) AND stored_at>=? AND (? IS NULL OR run_id!=?) ORDER BY stored_at DESC",
            scope, kind, *wanted, since, exclude_run, exclude_run)

    def store(self, kind: Kind, keys: str | Sequence[str], enrichment_type: EnrichmentType,
              outcome: Outcome, *, scope: str = "", run_id: str = "") -> None:
        """Keep an outcome under every alias in `keys`: enriched ones, and for people also
        not-found ones (a later run then knows the email or phone was not found and does not
        buy it again). Failed, skipped and already cached ones are not kept."""
        storable = ("enriched", "not_found") if kind == "person" else ("enriched",)
        if outcome.status not in storable or outcome.note == "cached":
            return
        text, now = outcome_to_json(outcome), time.time()
        for alias in _keys(keys):
            self._write("INSERT OR REPLACE INTO results VALUES (?, ?, ?, ?, ?, ?, ?)",
                        scope, kind, alias, enrichment_type, now, run_id, text)

    def store_many(self, kind: Kind, enrichment_type: EnrichmentType,
                   outcomes: Iterable[Outcome], *, scope: str = "", run_id: str = "",
                   aliases: Mapping[str, Sequence[str]] | None = None) -> None:
        """store() for many outcomes in one transaction (`aliases`: key -> every alias)."""
        known = aliases or {}
        with self._conn:
            self._conn.execute("BEGIN")
            for outcome in outcomes:
                self.store(kind, known.get(outcome.key) or outcome.key, enrichment_type,
                           outcome, scope=scope, run_id=run_id)


def _first_fresh(kind: Kind, enrichment_type: EnrichmentType, wanted: list[str],
                 found: Mapping[str, list[tuple[float, str, str]]],
                 parsed: dict[str, Mapping[str, str]]) -> Outcome | None:
    """lookup()'s answer from the results found for `wanted`: the newest that satisfies (for
    a person: what the newest results say of each part, as `ResultCache.known`)."""
    candidates = sorted((c for alias in sorted(wanted) for c in found.get(alias, ())),
                        key=lambda c: -c[0])
    if kind == "person":
        known = _known_of((etype, text) for _, text, etype in candidates)
        return _answer(known, enrichment_type, wanted[0])
    for _, text, _etype in candidates:
        if text not in parsed:
            parsed[text] = outcome_from_json(text).data
        if _satisfies(kind, enrichment_type, parsed[text]):
            return Outcome(key=wanted[0], status="enriched", note="cached", credits=0,
                           data=dict(parsed[text]))
    return None


def _known_of(results: Iterable[tuple[str, str]]) -> Known:
    """What (type, outcome JSON) results, newest first, say of a person by part."""
    parts: dict[str, bool] = {}
    data: dict[str, str] = {}
    for etype, text in results:
        outcome = outcome_from_json(text)
        for part in PARTS.get(etype, ()):
            parts.setdefault(part, bool(outcome.data.get(part)))
        for name, value in outcome.data.items():
            data.setdefault(name, value)
    return Known(parts, data)


def _answer(known: Known, enrichment_type: EnrichmentType, key: str) -> Outcome | None:
    """A cache hit for `enrichment_type` when every part of it is known, else None."""
    if known.missing(enrichment_type):
        return None
    found = any(known.parts[p] for p in PARTS[enrichment_type])
    return Outcome(key=key, status="enriched" if found else "not_found", note="cached",
                   data=dict(known.data) if found else {})
