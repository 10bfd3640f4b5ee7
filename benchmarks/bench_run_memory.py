"""Where a whole bulk run's memory goes: resident memory of the csv-enrich process at the end of
each phase of a 100k-row run (CSV in, CSV out) against a local sandbox in its own process.

    .venv/bin/python benchmarks/bench_run_memory.py [--rows 100000]

Prints, never asserts. One fresh process runs the job (csv_enrich.runner.enrich_file, as the
CLI does, with the allocator setting the CLI gives the process: cli.memory) and samples its own
RSS every few milliseconds; each sample is put in the phase the run was in (read, map, plan,
then the engine's progress messages, then the output). A phase's figures are the highest RSS
seen in it, the RSS when it ended, and what its highest added over the phase before (and the
RSS the run holds when it starts reading the enriched leads back). The
sandbox is another process: its memory is not the run's (bench_estimate.py prints its peak
apart).
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
from bench_estimate import local_sandbox  # noqa: E402
from bench_read import make_csv  # noqa: E402

CHILD = """
import json, os, resource, sys, threading, time
from pathlib import Path

def rss():
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20

from csv_enrich.cli.memory import return_freed_memory
return_freed_memory()  # what the csv-enrich command does first

phase, peaks, starts, ends, stop = ["imports"], {}, {}, {}, threading.Event()

def sample():
    while not stop.is_set():
        peaks[phase[0]] = max(peaks.get(phase[0], 0.0), rss())
        time.sleep(0.003)

def enter(name):
    now = rss()
    peaks[phase[0]] = max(peaks.get(phase[0], 0.0), now)
    ends[phase[0]] = now
    phase[0] = name
    peaks[name] = max(peaks.get(name, 0.0), now)

threading.Thread(target=sample, daemon=True).start()
from csv_enrich.models import Connection, EnrichOptions
from csv_enrich import plan as planning, runner
src, out, state, base_url, key = sys.argv[1:6]
options = EnrichOptions(input=Path(src), output=Path(out), mode="bulk", yes=True,
                        connection=Connection(base_url=base_url, api_key=key,
                                              state_dir=Path(state), rate_limit_per_min=6000))
enter("read")

def confirm(plan, balance):
    enter("engine: register, prepare")
    return True

def progress(p):
    words = (p.message or "").split(" (")[0].split(":")[0]
    if words and not phase[0].endswith(words):
        enter("engine: " + words)
    elif not words and phase[0].endswith("reading the enriched leads back"):
        enter("engine: leads joined, outcomes finished")

def phased(name, fn):
    def call(*args, **kwargs):
        enter(name)
        starts.setdefault("output", peaks[name])  # the RSS when the engine had finished
        return fn(*args, **kwargs)
    return call

def entering(name, fn):
    def call(*args, **kwargs):
        enter(name)
        return fn(*args, **kwargs)
    return call

planning.map_columns = entering("map", planning.map_columns)  # what load() maps with
runner.make_plan = entering("plan", runner.make_plan)
runner.join = phased("output: join", runner.join)
runner.build_report = phased("output: build_report", runner.build_report)
runner.write_output = phased("output: write_output", runner.write_output)
runner.write_report = phased("output: write_report", runner.write_report)
runner.enrich_file(options, confirm=confirm, progress=progress)
enter("end")
stop.set()
peaks["max RSS"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
peaks["output start"] = starts.get("output", 0.0)
print(json.dumps({"peaks": peaks, "ends": ends}))
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-run-memory-") as folder:
        src = Path(folder) / "leads.csv"
        make_csv(src, args.rows)
        with local_sandbox() as (base_url, key):
            out = subprocess.run(
                [sys.executable, "-c", CHILD, str(src), str(Path(folder) / "out.csv"),
                 str(Path(folder) / "state"), base_url, key],
                capture_output=True, text=True, check=True, env={**os.environ}).stdout
    figures = json.loads(out.strip().splitlines()[-1])
    peaks, ends = figures["peaks"], figures["ends"]
    top = peaks.pop("max RSS")
    out_start = peaks.pop("output start")
    out_top = max((v for k, v in peaks.items() if k.startswith("output: ")), default=0.0)
    print(f"| {args.rows:,}-row bulk run, phase | highest RSS in it | RSS at its end | added |")
    print("|---|---|---|---|")
    before = 0.0
    for name, value in peaks.items():
        if name == "end":
            continue
        print(f"| {name} | {value:.0f} MiB | {ends.get(name, value):.0f} MiB "
              f"| {value - before:+.0f} MiB |")
        before = max(before, value)
    names = list(peaks)
    back = next((i for i, n in enumerate(names) if n.endswith("reading the enriched leads back")),
                None)
    if back:  # what the run holds when the engine starts reading the leads back
        print(f"\nBefore the read-back: {ends.get(names[back - 1], 0.0):.0f} MiB at rest "
              f"(the end of '{names[back - 1]}')")
    print(f"\nWhole run: max RSS {top:.0f} MiB (getrusage)")
    print(f"Join, report and output: highest RSS {out_top:.0f} MiB, "
          f"{out_top - out_start:+.1f} MiB over the RSS when the engine had finished")


if __name__ == "__main__":
    main()
