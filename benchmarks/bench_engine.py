"""Engine figures against a sandbox in its own process (so client CPU is the client's alone).

Prints, never asserts:
  rows mode:  requests per enriched row (close to 2), polls per row, share of the allowed
              requests/min used (>= 90%) and 429s as a share of requests (< 1%), client CPU per row
  bulk mode:  requests per row at 10,000 rows (<= 0.05), client CPU per row
  bulk mode at the sandbox's default limits (30 requests/min, real-time workflows): wall time

    .venv/bin/python benchmarks/bench_engine.py                  # everything (~6 minutes)
    .venv/bin/python benchmarks/bench_engine.py --skip-default   # the fast parts (~1 minute)
"""

from __future__ import annotations

import argparse
import asyncio
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from csv_enrich.api.client import CleanlistClient, make_http_client  # noqa: E402
from csv_enrich.engine.run import Tuning, run_plan  # noqa: E402
from csv_enrich.journal import Journal  # noqa: E402
from csv_enrich.models import (  # noqa: E402
    Identity,
    Plan,
    RunResult,
    price,
)

SERVER = """
import json, sys, time
from csv_enrich.sandbox import SandboxConfig, SandboxServer
with SandboxServer(SandboxConfig(**json.loads(sys.argv[1]))) as server:
    print(server.base_url, server.api_key, flush=True)
    sys.stdin.read()
"""


class Sandbox:
    """The sandbox in a child process; closing its stdin stops it."""

    def __init__(self, **config: object) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-c", SERVER, json.dumps(config)], stdin=subprocess.PIPE,
            stdout=subprocess.PIPE, text=True, cwd=REPO)
        assert self.proc.stdout is not None
        self.base_url, self.api_key = self.proc.stdout.readline().split()

    def ledger(self) -> dict[str, object]:
        import httpx

        root = self.base_url.split("/api/")[0]
        data: dict[str, object] = httpx.get(f"{root}/_sandbox/ledger", timeout=60).json()
        return data

    def close(self) -> None:
        assert self.proc.stdin is not None
        assert self.proc.stdout is not None
        self.proc.stdin.close()
        self.proc.wait(timeout=30)
        self.proc.stdout.close()


def people(n: int) -> list[Identity]:
    """n distinct people: LinkedIn, email, name + domain in turn."""
    out = []
    for i in range(n):
        if i % 3 == 0:
            out.append(Identity("person", f"li:bench-{i}",
                                linkedin_url=f"https://www.linkedin.com/in/bench-{i}"))
        elif i % 3 == 1:
            email = f"b{i}@firm{i % 97}.io"
            out.append(Identity("person", f"email:{email}", email=email))
        else:
            out.append(Identity("person", f"name:bo{i}|ray{i}|co{i % 89}.com", first_name=f"Bo{i}",
                                last_name=f"Ray{i}", domain=f"co{i % 89}.com"))
    return out


def plan_for(idents: list[Identity], mode: str) -> Plan:
    return Plan(kind="person", enrichment_type="partial", mode=mode,  # type: ignore[arg-type]
                row_keys=tuple(i.key for i in idents), identities=tuple(idents), cached={},
                duplicates=0, estimated_max=price("person", "partial") * len(idents),
                run_id=f"bench-{mode}-{len(idents)}-{time.time_ns()}")


async def run(sandbox: Sandbox, idents: list[Identity], mode: str, rate: int,
              tuning: Tuning) -> tuple[RunResult, float, float]:
    """One run; returns the result, wall seconds and client CPU seconds."""
    with tempfile.TemporaryDirectory() as state:
        http = make_http_client(max_connections=8)
        client = CleanlistClient(http, api_key=sandbox.api_key, base_url=sandbox.base_url,
                                 rate_limit_per_min=rate)
        with Journal(Path(state)) as journal:
            wall, cpu = time.perf_counter(), time.process_time()
            result = await run_plan(plan_for(idents, mode), client=client, journal=journal,
                                    cache=None, tuning=tuning)
            wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        await http.aclose()
    return result, wall, cpu


def rows_figures(rows: int, rate: int) -> None:
    sandbox = Sandbox(rate_limit_per_min=rate, org_rate_limit_per_min=rate * 2,
                      time_scale=0.2, credits=10_000_000)
    try:
        result, wall, cpu = asyncio.run(run(sandbox, people(rows), "rows", rate,
                                            Tuning(first_poll_s=0.6, min_poll_s=0.1)))
        ledger = sandbox.ledger()
    finally:
        sandbox.close()
    requests: list[dict[str, Any]] = list(ledger["requests"])  # type: ignore[call-overload]
    polls = sum(1 for r in requests if "/enrichment/status/" in r["path"])
    enriched = sum(1 for o in result.outcomes.values() if o.status == "enriched")
    at = sorted(r["at"] for r in requests)
    span_min = (at[-1] - at[0]) / 60
    print(f"rows mode, {rows} rows at {rate} requests/min (sandbox time scale 0.2):")
    print(f"  requests per row           {result.requests / rows:.2f} "
          f"(per enriched row {result.requests / max(enriched, 1):.2f}; {enriched} enriched)")
    print(f"  status polls per row       {polls / rows:.2f}")
    print(f"  share of allowed req/min   {len(at) / span_min / rate:.1%} "
          f"({len(at) / span_min:.0f} of {rate})")
    print(f"  429s                       {result.rate_limited} "
          f"({result.rate_limited / max(result.requests, 1):.2%} of requests)")
    print(f"  client CPU per row         {cpu / rows * 1000:.2f} ms   (wall {wall:.1f} s)")


def bulk_figures(rows: int, *, default_limits: bool) -> None:
    if default_limits:
        sandbox = Sandbox(credits=10_000_000)
        rate, tuning, label = 30, Tuning(), "sandbox default limits (30/min, real time)"
    else:
        sandbox = Sandbox(rate_limit_per_min=100_000, org_rate_limit_per_min=100_000,
                          time_scale=0.01, credits=10_000_000)
        rate, tuning = 100_000, Tuning(bulk_first_poll_s=0.2, min_poll_s=0.05, max_poll_s=2)
        label = "fast sandbox (no rate limit, time scale 0.01)"
    try:
        result, wall, cpu = asyncio.run(run(sandbox, people(rows), "bulk", rate, tuning))
    finally:
        sandbox.close()
    enriched = sum(1 for o in result.outcomes.values() if o.status == "enriched")
    print(f"bulk mode, {rows:,} rows, {label}:")
    print(f"  requests                   {result.requests} ({result.requests / rows:.4f} per row,"
          f" {result.requests / max(enriched, 1):.4f} per enriched row)")
    print(f"  client CPU per row         {cpu / rows * 1000:.3f} ms")
    print(f"  wall time                  {wall:.1f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=120, help="rows for the rows-mode run")
    parser.add_argument("--rate", type=int, default=600, help="requests/min for rows mode")
    parser.add_argument("--bulk-rows", type=int, default=10_000)
    parser.add_argument("--skip-default", action="store_true",
                        help="skip the bulk run at the sandbox's default limits (~5 minutes)")
    args = parser.parse_args()
    rows_figures(args.rows, args.rate)
    bulk_figures(args.bulk_rows, default_limits=False)
    if not args.skip_default:
        bulk_figures(args.bulk_rows, default_limits=True)


if __name__ == "__main__":
    main()
