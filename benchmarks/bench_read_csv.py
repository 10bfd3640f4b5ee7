"""read_table of a CSV beside the bare polars read of it, in one process: wall and CPU time
(median of --repeat, alternating the two), then each one's peak memory in a fresh process.

    .venv/bin/python benchmarks/bench_read_csv.py [--rows 100000] [--repeat 5]

CPU time (time.process_time) counts every thread, so it is the steadier figure on a busy
machine. The issue 16 aim for the read: within 1.5x of polars.read_csv(infer_schema=False).
"""

from __future__ import annotations

import argparse
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_read import make_csv  # noqa: E402


def timed(fn: Callable[[], object]) -> tuple[float, float]:
    wall, cpu = time.perf_counter(), time.process_time()
    fn()
    return time.perf_counter() - wall, time.process_time() - cpu


def peak_mib(which: str, path: Path) -> float:
    """Peak RSS of a fresh process doing only `which` ("bare" or "read")."""
    out = subprocess.run([sys.executable, __file__, "--one", which, str(path)],
                         capture_output=True, text=True, check=True)  # fmt: skip
    return float(out.stdout)


def one(which: str, path: Path) -> None:
    import polars as pl

    from csv_enrich.read import read_table

    if which == "bare":
        pl.read_csv(path, infer_schema=False)
    else:
        read_table(path)
    print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--one", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        one(args.one[0], Path(args.one[1]))
        return
    import polars as pl

    from csv_enrich.read import read_table

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp, "leads.csv")
        make_csv(path, args.rows)
        runs: dict[str, list[tuple[float, float]]] = {"bare": [], "read": []}
        read_table(path)  # warm: imports, page cache
        for _ in range(args.repeat):
            runs["bare"].append(timed(lambda: pl.read_csv(path, infer_schema=False)))
            runs["read"].append(timed(lambda: read_table(path)))
        figures = {k: (statistics.median(w for w, _ in v), statistics.median(c for _, c in v))
                   for k, v in runs.items()}  # fmt: skip
        (bw, bc), (rw, rc) = figures["bare"], figures["read"]
        print(f"{args.rows:,}-row CSV, median of {args.repeat}")
        print(f"  polars.read_csv  {bw * 1000:7.1f} ms wall  {bc * 1000:7.1f} ms CPU  "
              f"peak {peak_mib('bare', path):5.0f} MiB")  # fmt: skip
        print(f"  read_table       {rw * 1000:7.1f} ms wall  {rc * 1000:7.1f} ms CPU  "
              f"peak {peak_mib('read', path):5.0f} MiB")  # fmt: skip
        print(f"  ratio            {rw / bw:7.2f}x wall    {rc / bc:7.2f}x CPU  (aim <= 1.5x)")


if __name__ == "__main__":
    main()
