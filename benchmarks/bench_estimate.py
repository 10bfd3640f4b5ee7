"""`csv-enrich estimate` beside the bare read of the same file, as whole commands: time, peak
memory and their ratios, for a 100k-row CSV and XLSX and a 1M-row CSV; and the peak memory of a
whole 100k-row run (bulk, on a local sandbox) beside reading that file.

    .venv/bin/python benchmarks/bench_estimate.py [--rows 100000] [--repeat 3] [--no-million]
        [--no-run]

Every figure is a fresh process (interpreter start and imports included on both sides, as a
user waits for them), timed by wall clock, with its CPU time (user + sys) beside it; peak memory
is that process's own max RSS (os.wait4). The bare read and the estimate run in turn, --repeat
times each; each side's medians are printed, and the time ratio is the median of the pairs'
ratios (their range beside it): a machine whose speed drifts moves both sides of a pair. Targets
(issue 16): estimate within 3x of polars.read_csv for CSV and 2x of
polars.read_excel(engine="calamine") for XLSX; a whole run's peak memory within 2x of reading
the file.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_read import make_csv, make_xlsx  # noqa: E402

PY = sys.executable
CLI = [PY, "-m", "csv_enrich"]


def measure(argv: list[str], env: dict[str, str] | None = None) -> tuple[float, float, float]:
    """(wall seconds, peak MiB, CPU seconds: user + sys) of one process."""
    start = time.perf_counter()
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
    _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        err = proc.stderr.read().decode() if proc.stderr else ""
        raise SystemExit(f"{' '.join(argv)} failed ({proc.returncode}): {err[-2000:]}")
    return elapsed, usage.ru_maxrss / 1024, usage.ru_utime + usage.ru_stime


def median_of(
    argv: list[str], repeat: int, env: dict[str, str] | None = None
) -> tuple[float, float, float]:
    runs = [measure(argv, env) for _ in range(repeat)]
    return (statistics.median(r[0] for r in runs), statistics.median(r[1] for r in runs),
            statistics.median(r[2] for r in runs))


def paired(base_argv: list[str], ours_argv: list[str], repeat: int,
           env: dict[str, str] | None = None) -> tuple[tuple[float, float, float],
                                                      tuple[float, float, float], list[float]]:
    """Both commands `repeat` times, alternating (bare, ours, bare, ours...): the medians of
    each side and every pair's wall-time ratio. A machine whose speed drifts (other work, CPU
    clocks) then moves both sides of a pair alike, where runs in two blocks would not."""
    pairs = [(measure(base_argv), measure(ours_argv, env)) for _ in range(repeat)]

    def medians(side: list[tuple[float, float, float]]) -> tuple[float, float, float]:
        return (statistics.median(r[0] for r in side), statistics.median(r[1] for r in side),
                statistics.median(r[2] for r in side))

    return (medians([b for b, _ in pairs]), medians([o for _, o in pairs]),
            sorted(o[0] / b[0] for b, o in pairs))


def bare_read(path: Path) -> list[str]:
    """The bare read a person would write: polars with every column as text."""
    if path.suffix == ".csv":
        code = f"import polars as pl; pl.read_csv({str(path)!r}, infer_schema=False)"
    else:
        code = f"import polars as pl; pl.read_excel({str(path)!r}, engine='calamine')"
    return [PY, "-c", code]


def row(name: str, base: tuple[float, float, float], ours: tuple[float, float, float],
        target: float, ratios: list[float] | None = None) -> str:
    """A table row: wall time (what the target counts), CPU time (user + sys: steadier on a
    busy machine, where wall time waits for a core) and peak memory, each side, and ratios
    (the wall-time ratio: the median of the pairs' when `ratios`, with their range)."""
    ratio = statistics.median(ratios) if ratios else ours[0] / base[0]
    spread = f" (pairs {ratios[0]:.2f}-{ratios[-1]:.2f}x)" if ratios and len(ratios) > 1 else ""
    mark = "ok" if ratio <= target else "OVER"
    return (f"| {name} | {base[0]:.2f} s (CPU {base[2]:.2f} s), {base[1]:.0f} MiB "
            f"| {ours[0]:.2f} s (CPU {ours[2]:.2f} s), {ours[1]:.0f} MiB "
            f"| {ratio:.2f}x time{spread} (CPU {ours[2] / base[2]:.2f}x), "
            f"{ours[1] / base[1]:.2f}x memory "
            f"| <= {target:g}x ({mark}) |")


@contextmanager
def local_sandbox() -> Iterator[tuple[str, str]]:
    """A fast local sandbox in its own process: (base URL, API key). Its peak memory is
    printed apart when it stops: it is not the csv-enrich process's."""
    port = 18000 + os.getpid() % 1000
    server = subprocess.Popen(
        [*CLI, "sandbox", "--port", str(port), "--time-scale", "0.001",
         "--rate-limit-per-min", "100000", "--credits", "10000000"],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
    )  # fmt: skip
    try:
        key = ""
        assert server.stdout is not None
        for line in server.stdout:
            if "clapi_" in line:
                key = "clapi_" + line.split("clapi_", 1)[1].split()[0]
                break
        yield f"http://127.0.0.1:{port}/api/v2", key
    finally:
        server.terminate()
        _, _, usage = os.wait4(server.pid, 0)
        server.returncode = 0
        print(f"(the sandbox, a separate process not counted in csv-enrich's figures, peaked at "
              f"{usage.ru_maxrss / 1024:.0f} MiB)", file=sys.stderr)


def whole_run(path: Path, state: Path) -> tuple[float, float, float]:
    """A whole enrich run of `path` (bulk) against a fast local sandbox: (seconds, peak MiB of
    the csv-enrich process alone: os.wait4 on it, which counts no process it did not start;
    CPU seconds)."""
    with local_sandbox() as (base_url, key):
        env = {**os.environ, "CLEANLIST_BASE_URL": base_url, "CLEANLIST_API_KEY": key}
        out = path.with_name("out.csv")
        return measure([*CLI, str(path), "-o", str(out), "--yes", "--mode", "bulk",
                        "--rate-limit", "6000", "--state-dir", str(state)], env)


def bytecode_note() -> str | None:
    """A note when csv_enrich's modules have no bytecode cache and none will be written
    (PYTHONDONTWRITEBYTECODE): every csv-enrich process then compiles them from source, ~0.09 s
    of a 100k estimate that an installed package (bytecode compiled at install) does not pay,
    while polars' own bytecode is in site-packages."""
    package = Path(__file__).resolve().parents[1] / "csv_enrich"
    if not sys.flags.dont_write_bytecode or any(package.glob("__pycache__/*.pyc")):
        return None
    return ("note: PYTHONDONTWRITEBYTECODE is set and csv_enrich has no bytecode cache: each "
            "csv-enrich process compiles its modules (polars' are compiled in site-packages)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--no-million", action="store_true")
    parser.add_argument("--no-run", action="store_true")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="bench-estimate-"))
    if (note := bytecode_note()) is not None:
        print(note, file=sys.stderr)
    try:
        csv_path, xlsx_path = folder / "leads.csv", folder / "leads.xlsx"
        make_csv(csv_path, args.rows)
        make_xlsx(xlsx_path, args.rows, styled=True)
        env = {**os.environ, "CLEANLIST_API_KEY": "", "XDG_STATE_HOME": str(folder / "state")}
        print(f"| {args.rows:,} rows x 12 columns | bare read | csv-enrich estimate --json "
              "| ratio | target |")
        print("|---|---|---|---|---|")
        for path, target in ((csv_path, 3.0), (xlsx_path, 2.0)):
            base, ours, ratios = paired(bare_read(path), [*CLI, "estimate", str(path), "--json"],
                                        args.repeat, env)
            print(row(path.suffix[1:].upper(), base, ours, target, ratios), flush=True)
        if not args.no_million:
            big = folder / "million.csv"
            make_csv(big, 1_000_000)
            base = measure(bare_read(big))
            ours = measure([*CLI, "estimate", str(big), "--json"], env)
            print(row("CSV, 1,000,000 rows", base, ours, 3.0), flush=True)
        if not args.no_run:
            base = median_of(bare_read(csv_path), args.repeat)
            run = whole_run(csv_path, folder / "run-state")
            print(f"\nWhole {args.rows:,}-row bulk run (CSV in, CSV out, local sandbox): "
                  f"{run[0]:.1f} s, peak {run[1]:.0f} MiB = {run[1] / base[1]:.2f}x the bare "
                  f"read's {base[1]:.0f} MiB (target <= 2x)")
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
