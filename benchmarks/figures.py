"""The figures table: API cost and speed per path, read, write and start-up, each beside its target.

    benchmarks/run                 # everything (~8 minutes on a quiet machine)
    benchmarks/run --rows 20000    # smaller read/write files (the API figures stay at 1,000 rows)

API figures: a 1,000-row file of names + companies enriched on the sandbox (in its own process)
with CSV import on (bulk), off (legacy bulk) and rows-only. Time is scaled: the sandbox runs its
workflows 20x faster, and the client's pacer (30 requests/min, its 60-second window and margin),
its poll timings and the sandbox's rate limit (30 requests per sliding minute, so any burst past
it is answered 429) are scaled the same way, so measured wall time x 20 is the projected wall
time at 30 requests/min (HTTP round trips scale too: ~3 ms here stand for ~0.06 s). Read, write
and start-up: today's benchmarks (bench_read.py, bench_write.py) and `csv-enrich --help`, each
in a fresh process. Printed, never asserted.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "benchmarks"))

from bench_engine import Sandbox  # noqa: E402

from csv_enrich.api.client import CleanlistClient, default_burst, make_http_client  # noqa: E402
from csv_enrich.api.pacer import MARGIN_S, WINDOW_S, Pacer  # noqa: E402
from csv_enrich.engine.run import Tuning, run_plan  # noqa: E402
from csv_enrich.journal import Journal  # noqa: E402
from csv_enrich.models import Identity, Plan, price  # noqa: E402

SCALE = 0.05  # at 0.01 the machine's own scheduling jitter (unscaled) would pass for 1 s
RATE = 30
API_ROWS = 1_000


@dataclass
class Line:
    """One row of the table."""

    figure: str
    measured: str
    target: str
    ok: bool | None = None  # None: no target to meet


def names(n: int) -> list[Identity]:
    """n people with first + last name and a company (name, and a domain for every other one)."""
    out = []
    for i in range(n):
        dom = f"firm{i % 211}.com" if i % 2 else None
        company = f"Firm {i % 211}"
        key = f"name:ann{i}|lee{i}|{dom or company.lower()}"
        out.append(Identity("person", key, first_name=f"Ann{i}", last_name=f"Lee{i}",
                            company_name=company, domain=dom))
    return out


def scaled_tuning() -> Tuning:
    t = Tuning()
    return Tuning(first_poll_s=t.first_poll_s * SCALE, min_poll_s=t.min_poll_s * SCALE,
                  max_poll_s=t.max_poll_s * SCALE, poll_timeout_s=t.poll_timeout_s * SCALE,
                  lost_answer_wait_s=t.lost_answer_wait_s * SCALE,
                  bulk_first_poll_s=t.bulk_first_poll_s * SCALE,
                  bulk_timeout_s=t.bulk_timeout_s * SCALE, auto_bulk_min=t.auto_bulk_min)


async def _enrich(sandbox: Sandbox, idents: list[Identity], mode: str) -> tuple[Any, float]:
    pacer = Pacer(RATE / SCALE, burst=default_burst(RATE), window_s=WINDOW_S * SCALE,
                  margin_s=MARGIN_S * SCALE)
    plan = Plan(kind="person", enrichment_type="partial", mode=mode,  # type: ignore[arg-type]
                row_keys=tuple(i.key for i in idents), identities=tuple(idents), cached={},
                duplicates=0, estimated_max=price("person", "partial") * len(idents),
                run_id=f"figures-{mode}-{time.time_ns()}")
    with tempfile.TemporaryDirectory() as state:
        http = make_http_client(max_connections=8)
        client = CleanlistClient(http, api_key=sandbox.api_key, base_url=sandbox.base_url,
                                 rate_limit_per_min=RATE, pacer=pacer)
        with Journal(Path(state)) as journal:
            started = time.perf_counter()
            result = await run_plan(plan, client=client, journal=journal, cache=None,
                                    tuning=scaled_tuning())
            wall = time.perf_counter() - started
        await http.aclose()
    return result, wall


def api_case(label: str, mode: str, *, csv_import: bool) -> tuple[list[Line], int]:
    """Enrich API_ROWS names + companies; lines for requests per row and projected time."""
    sandbox = Sandbox(time_scale=SCALE, rate_limit_per_min=RATE, org_rate_limit_per_min=RATE * 2,
                      rate_window_s=WINDOW_S * SCALE, credits=10_000_000,
                      csv_import=csv_import)  # 30 per sliding (scaled) minute
    try:
        result, wall = asyncio.run(_enrich(sandbox, names(API_ROWS), mode))
    finally:
        sandbox.close()
    per_row = result.requests / API_ROWS
    minutes = wall / SCALE / 60
    fast = mode != "rows"
    lines = [
        Line(f"requests per valid row, {label}", f"{per_row:.3f} ({result.mode})",
             "<= 0.05" if fast else "none (a call + polls per row)",
             per_row <= 0.05 if fast else None),
        Line(f"1,000 rows at {RATE}/min, {label}", f"{minutes:.1f} min",
             "<= 5 min" if fast else "none", minutes <= 5 if fast else None),
    ]
    if not fast:  # a long run that always has work waiting: how much of the limit it uses
        used = result.requests / minutes / RATE
        lines.append(Line(f"share of --rate-limit used, {label}", f"{used:.1%}", ">= 95%",
                          used >= 0.95))
    return lines, result.rate_limited


def _python(code: str, *args: str) -> Any:
    out = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True,
                         check=True, cwd=REPO)
    return json.loads(out.stdout)


BARE_READ = """
import json, sys, time
import polars as pl
t = time.perf_counter()
pl.read_csv(sys.argv[1]) if sys.argv[1].endswith(".csv") else pl.read_excel(
    sys.argv[1], engine="calamine")
print(json.dumps(time.perf_counter() - t))
"""


ESTIMATE = """
import json, resource, sys, time
from pathlib import Path
from csv_enrich.models import EnrichOptions
from csv_enrich.runner import estimate_file
base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
t = time.perf_counter()
estimate_file(EnrichOptions(input=Path(sys.argv[1]), use_cache=False))
seconds = time.perf_counter() - t
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({"seconds": seconds, "peak_mib": (peak - base) / 1024}))
"""


def read_lines(rows: int, folder: Path) -> list[Line]:
    """What `estimate` does with bench_read's files (read, map, validate, plan), beside the bare
    polars read of the same file."""
    import bench_read

    lines = []
    for fmt, limit, floor in (("csv", 3.0, "polars.read_csv"),
                              ("xlsx", 2.0, "polars.read_excel (calamine)")):
        path = folder / f"leads.{fmt}"
        if fmt == "csv":
            bench_read.make_csv(path, rows)
        else:
            bench_read.make_xlsx(path, rows, styled=False)
        bare = _python(BARE_READ, str(path))
        r = _python(ESTIMATE, str(path))
        total = r["seconds"]
        lines.append(Line(f"estimate (read, map, validate, plan) {rows:,} rows {fmt.upper()}",
                          f"{total:.2f} s ({total / bare:.1f}x bare read), "
                          f"+{r['peak_mib']:.0f} MiB", f"<= {limit:g}x {floor}",
                          total / bare <= limit))
    return lines


def write_lines(rows: int, folder: Path) -> list[Line]:
    """bench_write's CSV and XLSX cases (and CSV from a CSV file: its records copied)."""
    import bench_write

    lines = []
    names = {"csv": "CSV", "csv-file": "CSV from a CSV file", "xlsx": "XLSX"}
    for case in ("csv", "csv-file", "xlsx"):
        r = bench_write.run_child(case, rows, folder)
        lines.append(Line(f"write {rows:,} enriched rows {names[case]}",
                          f"{r['seconds']:.2f} s, +{r['peak_mib']:.0f} MiB", "none", None))
    return lines


def startup_line() -> Line:
    """Median of five `csv-enrich --help` in fresh interpreters."""
    times = []
    for _ in range(5):
        started = time.perf_counter()
        subprocess.run([sys.executable, "-m", "csv_enrich", "--help"], capture_output=True,
                       check=True, cwd=REPO)
        times.append(time.perf_counter() - started)
    median = statistics.median(times)
    return Line("start-up: csv-enrich --help", f"{median:.3f} s", "< 0.1 s", median < 0.1)


def table(lines: list[Line]) -> str:
    """The table as Markdown (the README's Figures section is a copy of it)."""
    out = ["| figure | measured | target | |", "|---|---|---|---|"]
    for line in lines:
        mark = {True: "met", False: "MISSED", None: ""}[line.ok]
        out.append(f"| {line.figure} | {line.measured} | {line.target} | {mark} |")
    return "\n".join(out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000, help="rows for read and write")
    parser.add_argument("--skip-local", action="store_true", help="API figures only")
    args = parser.parse_args()
    lines, refused = [], 0
    for label, mode, csv_import in (("CSV import on", "auto", True),
                                    ("CSV import off (legacy)", "auto", False),
                                    ("rows only", "rows", True)):
        print(f"... {label}", file=sys.stderr, flush=True)
        case, rate_limited = api_case(label, mode, csv_import=csv_import)
        lines += case
        refused += rate_limited
    lines.append(Line("429s answered in those three runs", str(refused), "0", refused == 0))
    if not args.skip_local:
        with tempfile.TemporaryDirectory() as tmp:
            print("... read", file=sys.stderr, flush=True)
            lines += read_lines(args.rows, Path(tmp))
            print("... write", file=sys.stderr, flush=True)
            lines += write_lines(args.rows, Path(tmp))
        lines.append(startup_line())
    print(table(lines))


if __name__ == "__main__":
    main()
