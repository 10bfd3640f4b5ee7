"""--state FILE: lists, leads, balance, keys, workflows, tasks and used quotes across restarts."""

from __future__ import annotations

import json
import os
from dataclasses import asdict
from pathlib import Path
from typing import Any, Protocol

from .quotes import Quotes
from .records import Key, Lead, LeadList, Org, Task, Workflow


class Stored(Protocol):
    """What is saved of the sandbox's state (SandboxState has it; persist does not import it)."""

    quotes: Quotes
    idempotency: dict[str, dict[str, Any]]
    csv_import: Any

    def reindex(self) -> None:
        """Rebuild the indexes after a load."""

TABLES: dict[str, Any] = {
    "orgs": Org, "keys": Key, "lists": LeadList, "leads": Lead, "workflows": Workflow,
    "tasks": Task,
}


def save(state: Stored, path: Path) -> None:
    """Write the state atomically (temp file + os.replace)."""
    doc: dict[str, Any] = {name: {k: asdict(v) for k, v in getattr(state, name).items()}
                           for name in TABLES}
    doc["quotes"] = {"costs": state.quotes.costs, "used": sorted(state.quotes.used)}
    doc["idempotency"] = state.idempotency
    doc["csv_import"] = state.csv_import
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(doc), encoding="utf-8")
    os.replace(tmp, path)


def load(state: Stored, path: Path) -> bool:
    """Fill `state` from the file; False when there is no file yet."""
    if not path.exists():
        return False
    doc = json.loads(path.read_text(encoding="utf-8"))
    for name, cls in TABLES.items():
        setattr(state, name, {k: cls(**v) for k, v in doc.get(name, {}).items()})
    state.quotes.costs = doc.get("quotes", {}).get("costs", {})
    state.quotes.used = set(doc.get("quotes", {}).get("used", []))
    state.idempotency = doc.get("idempotency", {})
    state.reindex()
    return True
