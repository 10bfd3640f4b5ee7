"""The identifier stage of `estimate` (and of every run), phase by phase, in one process:
map_columns, field_frame and validate_frame (or verdict_frame, the same as columns, and
verdicts_of, its records) over a table read once; "together" is map + field + validate.

    .venv/bin/python benchmarks/bench_identify.py [--rows 100000] [--repeat 5] [FILE ...]

Without FILE, a CSV and a styled XLSX of --rows rows are made with bench_read's make_csv and
make_xlsx. Each phase is timed --repeat times (wall clock with time.perf_counter and CPU time
with time.process_time); the medians are printed, in milliseconds.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_read import make_csv, make_xlsx  # noqa: E402


def timed(step: Callable[[], object], repeat: int) -> tuple[float, float]:
    """(median wall ms, median CPU ms) of `repeat` calls of `step`."""
    walls, cpus = [], []
    for _ in range(repeat):
        w0, c0 = time.perf_counter(), time.process_time()
        step()
        walls.append(time.perf_counter() - w0)
        cpus.append(time.process_time() - c0)
    return statistics.median(walls) * 1000, statistics.median(cpus) * 1000


def phases(path: Path, repeat: int) -> dict[str, tuple[float, float]]:
    """Median (wall, CPU) ms of each identifier phase for the file at `path`."""
    from csv_enrich.mapping.columns import field_frame, map_columns
    from csv_enrich.read import read_table
    from csv_enrich.rules import columns
    from csv_enrich.rules.columns import validate_frame

    table = read_table(path)
    table.__dict__.pop("blanked", None)
    _ = table.blanked  # as plan.load leaves it: read_table fills it
    cmap = map_columns(table)
    frame, _notes = field_frame(table, cmap)
    figures = {
        "map_columns": timed(lambda: map_columns(table), repeat),
        "field_frame": timed(lambda: field_frame(table, cmap), repeat),
        "validate_frame": timed(lambda: validate_frame(frame, cmap.kind), repeat),
    }
    if hasattr(columns, "verdict_frame"):  # (not in older versions, for A/B runs)
        figures["verdict_frame"] = timed(lambda: columns.verdict_frame(frame, cmap.kind), repeat)
        verdicts = columns.verdict_frame(frame, cmap.kind)
        figures["verdicts_of"] = timed(lambda: columns.verdicts_of(verdicts, cmap.kind), repeat)

    def whole() -> None:
        columns = map_columns(table)
        validate_frame(field_frame(table, columns)[0], columns.kind)

    figures["together"] = timed(whole, repeat)
    return figures


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("files", nargs="*", type=Path)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        files = args.files
        if not files:
            files = [Path(folder) / "leads.csv", Path(folder) / "leads.xlsx"]
            make_csv(files[0], args.rows)
            make_xlsx(files[1], args.rows, styled=True)
        for path in files:
            print(f"{path.name}: median of {args.repeat}, ms (wall / CPU)")
            for name, (wall, cpu) in phases(path, args.repeat).items():
                print(f"  {name:<15} {wall:8.1f} / {cpu:8.1f}")


if __name__ == "__main__":
    main()
