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
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from csv_enrich.models import JOURNAL_FILE, EnrichmentType, Kind, Outcome
from csv_enrich.models import default_state_dir as default_state_dir  # (as scope_of)
from csv_enrich.models import scope_of as scope_of  # its home was here; callers still find it

FILENAME = JOURNAL_FILE
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
    """An Outcome as JSON (the journal's storage form): its fields in order, as asdict gave
    them (without asdict's deep copy of each one)."""
    o = outcome
    return json.dumps({"key": o.key, "status": o.status, "note": o.note, "credits": o.credits,
                       "data": dict(o.data), "workflow_id": o.workflow_id, "same_as": o.same_as,
                       "credits_on": o.credits_on})


def outcome_from_json(text: str) -> Outcome:
    """The inverse of outcome_to_json."""
    raw = json.loads(text)
    return Outcome(**raw)


# What each enrichment type finds out about a person.
PARTS: Mapping[str, tuple[str, ...]] = {
    "partial": ("email",), "phone_only": ("phone",), "full": ("email", "phone")}


def _keys(keys: str | Sequence[str]) -> list[str]:
    return [keys] if isinstance(keys, str) else list(dict.fromkeys(keys))


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

    def in_flight(self, run_id: str) -> frozenset[str]:
        """Identity keys whose call the run journaled the intent of and never saw end."""
        return frozenset(key for (key,) in self._rows(
            "SELECT key FROM items WHERE run_id=? AND outcome IS NULL AND intent_at IS NOT NULL",
            run_id))

    def pending_aliases(self, scope: str, kind: Kind, enrichment_type: EnrichmentType, *,
                        exclude_run: str) -> frozenset[str]:
        """Every alias of the people other runs (this account, a type covering
        `enrichment_type`) submitted and never saw end: a run over them collects those results
        instead of paying (engine.prior), so an estimate counts them as paid."""
        types = tuple(PARTS) if kind == "company" else COVERS[enrichment_type]
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
            found.update(alias for (alias,) in self._rows(  # its keys that never ended
                f"SELECT alias FROM submissions WHERE scope=? AND kind=? AND run_id=? "
                f"AND enrichment_type IN ({marks}) AND key IN (SELECT value FROM json_each(?)) "
                "AND key NOT IN (SELECT key FROM items WHERE run_id=? AND outcome IS NOT NULL)",
                scope, kind, run_id, *types, value, run_id))
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
