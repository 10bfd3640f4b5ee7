"""Reading a 100k-row XLSX, phase by phase, in this process: wall and CPU time, medians.

    .venv/bin/python benchmarks/bench_read_xlsx.py [--rows 100000] [--repeat 5]

For the plain and the styled workbook of bench_read.make_xlsx (styled: a "00000" zip and a
"dd/mm/yyyy" date column; plain: a "yyyy-mm-dd" date column), prints the median of --repeat
runs of each phase of read_table (the container check with its one pass over the sheet's XML,
which finds the styled cells, markers and limits' candidates: each 4 MiB piece searched in a
second thread while the next is unzipped, so on two free cores the pass costs about the unzip's
time; the container's own thread CPU is printed apart), the sheet's extent check,
calamine's load with the grid, rendering the cells found, putting them in place, build_table),
then of read_table as a whole (where the load and the rendering run side by side) beside
polars.read_excel(engine="calamine") of the same file. CPU time is the process's (all threads:
polars' own threads included), so on a busy machine it can exceed the wall time.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_read import make_xlsx  # noqa: E402


def timed(runs: dict[str, list[tuple[float, float]]], name: str, job: Callable[[], Any]) -> Any:
    wall, cpu = time.perf_counter(), time.process_time()
    out = job()
    runs.setdefault(name, []).append((time.perf_counter() - wall, time.process_time() - cpu))
    return out


def phases(path: Path, runs: dict[str, list[tuple[float, float]]]) -> None:
    """One read of `path`, phase by phase, as read.workbook does it (without the overlap)."""
    from csv_enrich.read import workbook as wb
    from csv_enrich.read.sheet_xml import joined_cells, marked_cells, member_xml, search_sheets
    from csv_enrich.read.styled_cells import place
    from csv_enrich.read.table import build_table

    head = path.read_bytes()[:8192]
    own = time.thread_time()
    unzipped = timed(runs, "container + one pass",
                     lambda: wb.check_container(path, "xlsx", head, search_sheets))  # fmt: skip
    runs.setdefault("  its own thread (CPU)", []).append((0.0, time.thread_time() - own))
    reader = wb._open(path)
    name = reader.sheet_names[0]
    member, xml = timed(runs, "extent check", lambda: member_xml(path, name, unzipped))
    grid, first = timed(runs, "calamine load + grid", lambda: wb._load_grid(path, reader, 0, None))
    matches = unzipped.matched[str(member)]
    cells = timed(runs, "formats (render)",
                  lambda: joined_cells(marked_cells(xml, matches), matches.finds().cells))
    if cells is not None:
        grid = timed(runs, "place cells", lambda: place(grid, cells, first))
    timed(runs, "build_table", lambda: build_table(path, "xlsx", grid, limit=None, sheet=name))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    import polars as pl

    from csv_enrich.read import read_table

    with tempfile.TemporaryDirectory() as tmp:
        for styled in (False, True):
            path = Path(tmp, f"leads_{'styled' if styled else 'plain'}.xlsx")
            make_xlsx(path, args.rows, styled=styled)
            runs: dict[str, list[tuple[float, float]]] = {}
            for _ in range(args.repeat):
                phases(path, runs)
                timed(runs, "read_table (all)", lambda p=path: read_table(p))  # type: ignore[misc]
                timed(runs, "polars.read_excel", lambda p=path: pl.read_excel(p, engine="calamine"))  # type: ignore[misc]
            print(f"{path.name}, {args.rows:,} rows, median of {args.repeat}:")
            for name, times in runs.items():
                wall = statistics.median(t[0] for t in times)
                cpu = statistics.median(t[1] for t in times)
                print(f"  {name:22} {wall:6.3f} s wall {cpu:6.3f} s CPU")


if __name__ == "__main__":
    main()
