"""The ledger: every settled charge (by identity, workflow and credits) and every /api request.

Also appended, one JSON object per line with a "type" key, to the --ledger FILE when one is set.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any


class Ledger:
    """Charges, settlements and requests, in the order they happened."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path
        self.charges: list[dict[str, Any]] = []
        self.settlements: list[dict[str, Any]] = []
        self.requests: list[dict[str, Any]] = []

    def _append(self, kind: str, entry: dict[str, Any]) -> None:
        if self.path is not None:
            with self.path.open("a", encoding="utf-8") as fh:
                fh.write(json.dumps({"type": kind, **entry}, sort_keys=True) + "\n")

    def charge(self, identity: str, kind: str, workflow_id: str | None, credits: int) -> None:
        """Record credits actually taken for one identity."""
        entry = {"identity": identity, "kind": kind, "workflow_id": workflow_id,
                 "credits": credits, "at": time.time()}
        self.charges.append(entry)
        self._append("charge", entry)

    def settle(self, workflow_id: str, reserved: int, charged: int, refunded: int,
               held: int = 0) -> None:
        """Record the settlement of one async workflow (held = kept for manual review)."""
        entry = {"workflow_id": workflow_id, "reserved": reserved, "charged": charged,
                 "refunded": refunded, "held": held, "at": time.time()}
        self.settlements.append(entry)
        self._append("settlement", entry)

    def request(self, method: str, path: str, status: int) -> None:
        """Record one /api request and the status it got (0 = connection dropped)."""
        entry = {"method": method, "path": path, "status": status, "at": time.time()}
        self.requests.append(entry)
        self._append("request", entry)

    def snapshot(self, balance: int) -> dict[str, Any]:
        """The ledger as served by GET /_sandbox/ledger."""
        return {
            "balance": balance,
            "charged_total": sum(c["credits"] for c in self.charges),
            "charges": list(self.charges),
            "settlements": list(self.settlements),
            "requests": list(self.requests),
        }
