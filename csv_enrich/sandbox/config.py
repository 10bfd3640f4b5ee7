"""SandboxConfig: every knob of the local Cleanlist, one field per `csv-enrich sandbox` option."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

ALL_SCOPES: tuple[str, ...] = (
    "people:read",
    "companies:read",
    "lists:read",
    "lists:write",
    "enrich:read",
    "enrich:write",
    "credits:read",
    "export:read",
    "sync:write",
    "smart_agents:read",
    "smart_agents:write",
    "admin:api_keys",
)

FAULT_KINDS: tuple[str, ...] = ("5xx", "drop", "lost_answer", "429_burst", "latency",
                               "late_answer")
# How the sandbox treats quotes for company lookups (CONTRACT.md §5.2, §6.2): "redeem" prices the
# tool enrich_company and redeems a quote sent with a lookup; "unknown_tool" answers the estimate
# 400 (the tool is not in CONTRACT's list of known tools: a strict server); "mismatch" issues the
# quote but refuses it on the lookup (400 quote_mismatch, nothing charged).
COMPANY_QUOTES: tuple[str, ...] = ("redeem", "unknown_tool", "mismatch")


@dataclass
class SandboxConfig:
    """How the sandbox behaves; the defaults are a well-behaved, generous Cleanlist."""

    credits: int = 100_000
    rate_limit_per_min: int = 30  # per key; 0 disables the limit
    org_rate_limit_per_min: int = 60  # per organisation; 0 disables the limit
    # None: the limits are token buckets; else each counts a sliding window of this many seconds
    # (60 for a server that counts the last minute; the benchmarks scale it with time_scale)
    rate_window_s: float | None = None
    latency_ms: int = 0  # added to every /api request
    fault_rate: float = 0.0  # share of /api requests that fault
    seed: int = 0
    time_scale: float = 1.0  # 0.001 makes a 3 s workflow take 3 ms
    csv_import: bool = True  # False -> csv-import answers 503 (the kill switch)
    company_quotes: str = "redeem"  # one of COMPANY_QUOTES
    state_file: Path | None = None
    ledger_file: Path | None = None
    # Relative weights of the fault kinds drawn when a request faults.
    fault_weights: dict[str, float] = field(
        default_factory=lambda: {
            "5xx": 3.0,
            "drop": 1.0,
            "lost_answer": 1.0,
            "429_burst": 1.0,
            "latency": 1.0,
        }
    )
    fault_latency_ms: int = 1500  # extra delay of a "latency" fault
    burst_length: int = 3  # requests answered 429 in a row by a "429_burst" fault
    default_scopes: tuple[str, ...] = ALL_SCOPES  # scopes of the key SandboxServer hands out
    quote_ttl_s: int = 300
    workflow_failure_rate: float = 0.0  # share of async runs that fail halfway (seeded)
    list_cap: int = 10_000  # lists per organisation (403 list_cap_reached past it)
    keep_alive_s: int = 5  # idle keep-alive connections are closed after this (uvicorn default)
    bulk_parallelism: int = 20  # leads of a bulk run processed at once
