"""make_plan against a result cache an earlier 100k run filled: time and peak memory.

    .venv/bin/python benchmarks/bench_cache_plan.py [--rows 100000] [--repeat 3]

A CSV of --rows rows is made with bench_read's make_csv, and a state directory's result cache is
filled through the journal API as an earlier run leaves it (each person stored under its key,
aliases and name keys, as engine.context stores them):

- full cache: every person found at --type partial (the estimate of a --type partial run is 0)
- partly filled: every other person found at --type partial (email known), every fourth also
  at phone_only; a --type full run then buys only the missing part for those (`_partly_known`)

Each case is a fresh process (imports, reading and mapping before the figure): make_plan's wall
and CPU time (median of --repeat in that process) and its peak RSS over what the process held
before it (max RSS minus the RSS after loading), the medians of --repeat processes printed.
On a shared machine the CPU time is the steadier figure.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_read import make_csv  # noqa: E402

CASES = {  # case -> (cache filled how, --type of the run measured)
    "no cache": ("none", "partial"),
    "full cache, --type partial": ("full", "partial"),
    "partly filled cache, --type full": ("part", "full"),
}

CHILD = r"""
import json, resource, statistics, sys, time
from pathlib import Path
from csv_enrich.models import Connection, EnrichOptions
from csv_enrich.journal import ResultCache
from csv_enrich.plan import load, make_plan

path, state, etype, repeat = Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3], int(sys.argv[4])
options = EnrichOptions(input=path, enrichment_type=etype, connection=Connection(state_dir=state))
loaded = load(options)

def rss_mib():
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * resource.getpagesize() / 2**20

before = rss_mib()
walls, cpus = [], []
for _ in range(repeat):
    with ResultCache(state) as cache:
        w, c = time.perf_counter(), time.process_time()
        plan = make_plan(loaded, options, cache)
        walls.append(time.perf_counter() - w)
        cpus.append(time.process_time() - c)
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps({"wall": statistics.median(walls), "cpu": statistics.median(cpus),
                  "peak": peak - before,
                  "sent": len(plan.identities), "cached": len(plan.cached),
                  "estimate": plan.estimated_max, "prefill": len(plan.prefill)}))
"""


def fill(path: Path, state: Path, how: str) -> None:
    """The result cache as an earlier run over `path` leaves it (`how`: none, full, part)."""
    from csv_enrich.journal import ResultCache
    from csv_enrich.models import Connection, EnrichOptions, Outcome
    from csv_enrich.plan import load, make_plan
    from csv_enrich.rules.validate import name_keys

    state.mkdir(parents=True, exist_ok=True)
    if how == "none":
        return
    options = EnrichOptions(input=path, connection=Connection(state_dir=state))
    idents = list(make_plan(load(options), options).identities)
    aliases = {i.key: tuple(dict.fromkeys((i.key, *i.aliases, *name_keys(i)))) for i in idents}
    every = idents if how == "full" else idents[::2]
    found = [Outcome(i.key, "enriched", credits=1,
                     data={"email": f"found{n}@x.io", "job_title": "VP"})
             for n, i in enumerate(every)]
    with ResultCache(state) as cache:
        cache.store_many("person", "partial", found, run_id="earlier", aliases=aliases.get,
                         scope=options.connection.scope)
        if how == "part":
            phones = [Outcome(i.key, "enriched" if n % 3 else "not_found", credits=1,
                              data={"phone": "+1555"} if n % 3 else {})
                      for n, i in enumerate(idents[::4])]
            cache.store_many("person", "phone_only", phones, run_id="earlier-2",
                             aliases=aliases.get, scope=options.connection.scope)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="bench-cache-plan-"))
    path = folder / "leads.csv"
    make_csv(path, args.rows)
    print(f"| make_plan, {args.rows:,} rows (median of {args.repeat}) | wall s | CPU s | peak "
          f"MiB over loaded | sent | cached | prefilled | estimate |")
    print("|---|---|---|---|---|---|---|---|")
    for name, (how, etype) in CASES.items():
        state = folder / how
        fill(path, state, how)
        runs = [json.loads(subprocess.run(
            [sys.executable, "-c", CHILD, str(path), str(state), etype, str(args.repeat)],
            capture_output=True, text=True, check=True).stdout) for _ in range(args.repeat)]
        wall = statistics.median(r["wall"] for r in runs)
        cpu = statistics.median(r["cpu"] for r in runs)
        peak = statistics.median(r["peak"] for r in runs)
        last = runs[-1]
        print(f"| {name} | {wall:.2f} | {cpu:.2f} | {peak:.0f} | {last['sent']:,} "
              f"| {last['cached']:,} | {last['prefill']:,} | {last['estimate']:,} |", flush=True)


if __name__ == "__main__":
    main()
