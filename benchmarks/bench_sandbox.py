"""Sandbox figures: request throughput, a 10,000-lead bulk run, and the official SDK against
`csv-enrich sandbox`. Prints figures; asserts nothing about time.

    .venv/bin/python benchmarks/bench_sandbox.py
"""

from __future__ import annotations

import base64
import re
import subprocess
import sys
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from sandbox_helpers import fast_config, official_client_run, wait_terminal  # noqa: E402

from csv_enrich.sandbox import SandboxServer  # noqa: E402


def throughput(server: SandboxServer, n: int = 500) -> float:
    """Sequential GET /credits/balance per second over one keep-alive connection."""
    with httpx.Client(base_url=server.base_url,
                      headers={"Authorization": f"Bearer {server.api_key}"}) as c:
        started = time.perf_counter()
        for _ in range(n):
            c.get("/credits/balance")
        return n / (time.perf_counter() - started)


def concurrent_throughput(base_url: str, key: str, workers: int = 16, each: int = 100) -> float:
    """GET /credits/balance per second with `workers` concurrent async clients."""
    import asyncio

    async def worker(c: httpx.AsyncClient) -> None:
        for _ in range(each):
            await c.get("/credits/balance")

    async def run() -> float:
        limits = httpx.Limits(max_connections=workers)
        async with httpx.AsyncClient(base_url=base_url, limits=limits,
                                     headers={"Authorization": f"Bearer {key}"}) as c:
            started = time.perf_counter()
            await asyncio.gather(*(worker(c) for _ in range(workers)))
            return workers * each / (time.perf_counter() - started)

    return asyncio.run(run())


def bulk_10k(server: SandboxServer) -> dict[str, float]:
    """Import 10,000 rows in 500-row chunks, quote, run, poll and page back; seconds per step."""
    out: dict[str, float] = {}
    with httpx.Client(base_url=server.base_url, timeout=60,
                      headers={"Authorization": f"Bearer {server.api_key}"}) as c:
        list_id = c.post("/lead-lists", json={"name": "bench-10k"}).json()["list_id"]
        t = time.perf_counter()
        for chunk in range(20):
            first = chunk * 500
            rows = [f"b{i}@co{i % 97}.io,F{i},L{i},Co" for i in range(first, first + 500)]
            b64 = base64.b64encode("\n".join(["Email,First,Last,Company", *rows]).encode()).decode()
            c.post(f"/lead-lists/{list_id}/csv-import", json={
                "csv_content_base64": b64, "dispatch_enrichment": False,
                "column_mapping": {"email": "Email", "first_name": "First", "last_name": "Last",
                                   "company_name": "Company"}}).raise_for_status()
        out["import_20_chunks_s"] = time.perf_counter() - t
        t = time.perf_counter()
        quote = c.post("/credits/estimate", json={"tool": "enrich_list", "list_id": list_id,
                                                  "scope": "full"}).json()["quote_id"]
        wf = c.post("/enrichment/bulk", json={"list_id": list_id, "scope": "full",
                                              "quote_id": quote}).json()
        done = wait_terminal(c, wf["workflow_id"], timeout=120)
        out["bulk_run_s"] = time.perf_counter() - t
        t, cursor, got = time.perf_counter(), None, 0
        while True:
            params = {"limit": 500, **({"cursor": cursor} if cursor else {})}
            page = c.get(f"/lead-lists/{list_id}/leads", params=params).json()
            got += len(page["leads"])
            if (cursor := page["cursor"]) is None:
                break
        out["page_back_s"] = time.perf_counter() - t
        out["leads_paged"] = got
        out["credits_charged"] = done["credits_charged"]
    return out


def against_cli() -> None:
    """Start `csv-enrich sandbox` (python -m csv_enrich sandbox); measure and run the SDK on it."""
    cmd = [sys.executable, "-m", "csv_enrich", "sandbox", "--port", "0", "--time-scale", "0.001",
           "--rate-limit-per-min", "100000"]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True, cwd=ROOT)
    try:
        assert proc.stdout is not None
        head = proc.stdout.readline() + proc.stdout.readline()
        url = re.search(r"(http://\S+)/api/v2", head)
        key = re.search(r"(clapi_\w+)", head)
        if url is None or key is None:
            raise RuntimeError(f"unexpected sandbox banner: {head!r}")
        made, parsed, failures = official_client_run(url.group(1), key.group(1))
        print(f"official client vs `csv-enrich sandbox`: {made} calls made, {parsed} parsed")
        for failure in failures:
            print("  failure:", failure)
    finally:
        proc.terminate()
        proc.wait(timeout=10)


SERVE = ("from csv_enrich.sandbox import SandboxConfig, serve\n"
         "serve(SandboxConfig(rate_limit_per_min=0, org_rate_limit_per_min=0), port=0,\n"
         "      on_ready=lambda url, key: print(url, key, flush=True))")


def separate_process_throughput() -> float:
    """16 async workers against serve() in its own process (limits off): the server's rate."""
    proc = subprocess.Popen([sys.executable, "-c", SERVE], stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        url, key = proc.stdout.readline().split()
        return concurrent_throughput(url, key)
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def main() -> None:
    """Print every figure."""
    with SandboxServer(fast_config(credits=1_000_000)) as server:
        print(f"throughput: {throughput(server):.0f} sequential requests/s")
        rate = concurrent_throughput(server.base_url, server.api_key)
        print(f"throughput: {rate:.0f} requests/s, 16 async workers, same process")
    rate = separate_process_throughput()
    print(f"throughput: {rate:.0f} requests/s, 16 async workers, server in its own process")
    with SandboxServer(fast_config(credits=1_000_000)) as server:
        for name, value in bulk_10k(server).items():
            print(f"10k bulk: {name} = {value:.3f}")
    against_cli()


if __name__ == "__main__":
    main()
