"""The estimate's own work beside reading and identifying, phase by phase, in one process: the
estimate command's imports (a fresh process), make_plan (of which field_frame and verdict_frame
are the identifier stage, benchmarks/bench_identify.py; the rest is dedupe, cache lookups and
pricing) and rendering (estimate --json and the text).

    .venv/bin/python benchmarks/bench_plan.py [--rows 100000] [--repeat 5]

Two CSVs of --rows rows are made with bench_read's make_csv: as it is (nobody twice) and with
duplicates (every third row is an earlier person again, by email, by LinkedIn URL or by both,
so dedupe has groups to join). Each phase is timed --repeat times, wall clock
(time.perf_counter) and CPU (time.process_time); the medians are printed in milliseconds.
"""

from __future__ import annotations

import argparse
import csv
import json
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_read import HEADERS, _row, make_csv  # noqa: E402

IMPORTS = ("import time; w, c = time.perf_counter(), time.process_time()\n"
           "from csv_enrich.cli.commands import main\n"
           "from csv_enrich.cli.render import estimate_dict, estimate_lines\n"
           "from csv_enrich.runner_estimate import estimate_file\n"
           "print((time.perf_counter() - w) * 1000, (time.process_time() - c) * 1000)")


def make_duplicates(path: Path, rows: int) -> None:
    """make_csv's rows, every third one an earlier person again (same email, same LinkedIn URL,
    or the email of one and the LinkedIn URL of another)."""
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(HEADERS)
        for i in range(rows):
            row = _row(i)
            if i % 3 == 2:
                earlier = _row(i // 2)
                row[0 if i % 2 else 5] = earlier[0 if i % 2 else 5]
                if i % 9 == 8:
                    row[5] = _row(i // 3)[5]
            writer.writerow(row)


def timed(step: Callable[[], object], repeat: int) -> tuple[float, float]:
    """(median wall ms, median CPU ms) of `repeat` calls of `step`."""
    walls, cpus = [], []
    for _ in range(repeat):
        w, c = time.perf_counter(), time.process_time()
        step()
        walls.append((time.perf_counter() - w) * 1000)
        cpus.append((time.process_time() - c) * 1000)
    return statistics.median(walls), statistics.median(cpus)


def phases(path: Path, repeat: int, state: Path) -> dict[str, tuple[float, float]]:
    from csv_enrich.cli.render import estimate_dict, estimate_lines
    from csv_enrich.mapping.columns import field_frame
    from csv_enrich.models import Connection, EnrichOptions
    from csv_enrich.plan import load, make_plan
    from csv_enrich.rules.columns import verdict_frame
    from csv_enrich.runner_estimate import Estimate

    options = EnrichOptions(input=path, connection=Connection(state_dir=state))
    loaded = load(options)
    frame = field_frame(loaded.table, loaded.columns)[0]
    est = Estimate(loaded, make_plan(loaded, options))
    return {
        "make_plan": timed(lambda: make_plan(loaded, options), repeat),
        "  field_frame": timed(lambda: field_frame(loaded.table, loaded.columns), repeat),
        "  verdict_frame": timed(lambda: verdict_frame(frame, loaded.columns.kind), repeat),
        "render --json": timed(lambda: json.dumps(estimate_dict(est)), repeat),
        "render text": timed(lambda: estimate_lines(est), repeat),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="bench-plan-"))
    plain, dups = folder / "leads.csv", folder / "duplicates.csv"
    make_csv(plain, args.rows)
    make_duplicates(dups, args.rows)
    runs = [subprocess.run([sys.executable, "-c", IMPORTS], capture_output=True, text=True,
                           check=True).stdout.split() for _ in range(args.repeat)]
    print(f"| phase ({args.rows:,} rows, median of {args.repeat}) | wall ms | CPU ms |")
    print("|---|---|---|")
    wall, cpu = (statistics.median(float(r[i]) for r in runs) for i in (0, 1))
    print(f"| estimate's imports (fresh process) | {wall:.0f} "
          f"| {cpu:.0f} |")
    for name, path in (("", plain), (" (duplicates)", dups)):
        for phase, (wall, cpu) in phases(path, args.repeat, folder / "state").items():
            print(f"| {phase}{name} | {wall:.0f} | {cpu:.0f} |", flush=True)


if __name__ == "__main__":
    main()
