"""What a 100k-row run's results cost once the engine has them: 100k Outcomes, their journal and
cache writes (`RunContext.finish_many`), then the output join, the report and the writers.

    .venv/bin/python benchmarks/bench_outcomes.py [--rows 100000] [--xlsx]

Prints, never asserts. A fresh process reads and plans the 100k-row file of bench_read (as a
bulk run does), builds the identities, then lead data for each (what the bulk list read back
holds: 80% found, half of those with a phone) and one Outcome per identity as the bulk strategy
makes them, and runs them through `finish_many` (a real journal and result cache in a temp
directory), `write.join`, `report.build_report` and `write.write_output`, sampling its own RSS
every few milliseconds. Each phase's figure is the highest RSS seen in it and what that adds
over the RSS when the phase began; the last line is the growth over the RSS when the engine had
finished (the run's result held, the engine's context gone) through join + report + write.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from bench_read import make_csv  # noqa: E402

CHILD = """
import gc, json, os, sys, threading, time
from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace

def rss():
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20

phase, peaks, starts, stop = ["imports"], {}, {"imports": 0.0}, threading.Event()
traced, traced_start = {}, {}

def sample():
    while not stop.is_set():
        peaks[phase[0]] = max(peaks.get(phase[0], 0.0), rss())
        time.sleep(0.002)

TRACED = os.environ.get("BENCH_TRACED") == "1"
if TRACED:
    import tracemalloc

def enter(name):
    gc.collect()
    if TRACED and name == "lead data (the list read back)":
        tracemalloc.start()
    if TRACED and tracemalloc.is_tracing():
        now_t, top_t = tracemalloc.get_traced_memory()
        if phase[0] in traced_start:
            traced[phase[0]] = top_t / 2**20
        traced_start[name] = now_t / 2**20
        tracemalloc.reset_peak()
    now = rss()
    peaks[phase[0]] = max(peaks.get(phase[0], 0.0), now)
    phase[0], starts[name] = name, now
    peaks[name] = now

threading.Thread(target=sample, daemon=True).start()
from csv_enrich.engine.context import RunContext
from csv_enrich.journal import Journal, ResultCache
from csv_enrich.models import Connection, EnrichOptions, Outcome, RunResult, WorkflowRecord
from csv_enrich.output.write import join, write_output
from csv_enrich.plan import load, make_plan
from csv_enrich.report import build_report

src, out, state = sys.argv[1:4]
options = EnrichOptions(input=Path(src), output=Path(out), mode="bulk", yes=True,
                        connection=Connection(base_url="http://127.0.0.1:9", api_key="k",
                                              state_dir=Path(state)))
enter("read, map, plan, identities")
journal, cache = Journal(Path(state)), ResultCache(Path(state))
loaded = load(options)
plan = make_plan(loaded, options, cache)
idents = list(plan.identities)

enter("lead data (the list read back)")
def lead(n, ident):
    if n % 5 == 4:
        return None
    data = {"email": f"p{n}@company{n % 5000}.com", "email_status": "valid",
            "linkedin_url": f"https://www.linkedin.com/in/person-{n}",
            "full_name": f"First{n} Last{n}", "title": "VP Sales",
            "company": f"Company {n % 5000}"}
    if n % 2:
        data["phone"] = f"+1 415 555 {n:07d}"
    return data
leads = [lead(n, i) for n, i in enumerate(idents)]

enter("outcomes")
outcomes = [Outcome(i.key, "enriched" if d else "not_found", note="", data=d or {},
                    workflow_id="wf_1", credits=(11 if "phone" in d else 1) if d else 0)
            for i, d in zip(idents, leads)]

enter("ctx.finish_many (journal, cache)")
client = SimpleNamespace(scope="bench", stats=None)
ctx = RunContext(plan, client, journal, cache)
ctx.finish_many(outcomes)

enter("engine finished")
result = RunResult(mode="bulk", outcomes={i.key: ctx.outcomes[i.key] for i in idents},
                   workflows=(WorkflowRecord("wf_1", "completed"),))
del ctx, outcomes, leads
finished = rss()

enter("join")
rows = join(plan, result.outcomes, source_rows=loaded.table.source_rows)
enter("build_report")
report = build_report(options=options, table=loaded.table, plan=plan, result=result, rows=rows,
                      output=Path(out), started_at=datetime.now(UTC),
                      finished_at=datetime.now(UTC))
enter("write_output")
write_output(loaded.table, plan.kind, rows, Path(out), report=report)
enter("end")
stop.set()
top = max(v for k, v in peaks.items() if k in ("join", "build_report", "write_output"))
print(json.dumps({"peaks": peaks, "starts": starts, "finished": finished, "top": top,
                  "traced": traced, "traced_start": traced_start}))
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--xlsx", action="store_true", help="write .xlsx instead of .csv")
    parser.add_argument("--keep", type=Path, help="copy the output here (to compare)")
    parser.add_argument("--traced", action="store_true",
                        help="also trace Python's allocations (tracemalloc) from the lead data on:"
                             " what each phase holds after it and its peak (slower; RSS skewed)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-outcomes-") as folder:
        src = Path(folder) / "leads.csv"
        make_csv(src, args.rows)
        out = Path(folder) / ("out.xlsx" if args.xlsx else "out.csv")
        text = subprocess.run(
            [sys.executable, "-c", CHILD, str(src), str(out), str(Path(folder) / "state")],
            capture_output=True, text=True, check=True,
            env={**os.environ, "BENCH_TRACED": "1" if args.traced else "0"}).stdout
        if args.keep is not None:
            args.keep.write_bytes(out.read_bytes())
    got = json.loads(text.strip().splitlines()[-1])
    peaks, starts = got["peaks"], got["starts"]
    print(f"| {args.rows:,} outcomes, phase | RSS at start | highest RSS in it | added |")
    print("|---|---|---|---|")
    for name, value in peaks.items():
        if name in ("imports", "end"):
            continue
        start = starts[name]
        print(f"| {name} | {start:.0f} MiB | {value:.0f} MiB | {value - start:+.1f} MiB |")
    if args.traced:
        print("\n| phase | traced at start | traced peak in it | peak over start |")
        print("|---|---|---|---|")
        held = got["traced_start"]
        for name, value in got["traced"].items():
            print(f"| {name} | {held[name]:.1f} MiB | {value:.1f} MiB | "
                  f"{value - held[name]:+.1f} MiB |")
    print(f"\njoin + report + write: highest RSS {got['top']:.0f} MiB, "
          f"{got['top'] - got['finished']:+.1f} MiB over the engine's end")


if __name__ == "__main__":
    main()
