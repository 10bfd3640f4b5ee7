"""The drop folder's own cost: how long a dropped file waits before it is picked up (file-system
events, and --poll), and how much longer a file takes through the folder than the same run
through `enrich_file` (estimate, claim, notes, archive, log), on a local sandbox.

    .venv/bin/python benchmarks/bench_watch.py [--rows 200] [--repeat 5] [--settle 0]

The file lands in inbox/ by a rename (as a finished copy does). With the default `--settle 0`
the figures are the watcher's own reaction; `--settle 2` (the command's default) shows what a
user waits.
Medians of --repeat files, each a different set of people (nothing comes from the cache).
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import threading
import time
from pathlib import Path

from csv_enrich.models import Connection, EnrichOptions
from csv_enrich.runner import enrich_file
from csv_enrich.sandbox import SandboxConfig, SandboxServer
from csv_enrich.watch import Job, WatchOptions, watch_folder


def people(rows: int, tag: str) -> str:
    return "Email,First Name\n" + "".join(f"p{n}@{tag}{n % 50}.io,P{n}\n" for n in range(rows))


def through_folder(conn: Connection, root: Path, rows: int, repeat: int, poll: bool,
                   settle: float) -> tuple[float, float]:
    """Median (seconds to 'picked up', seconds to 'done') after the file lands in inbox."""
    lines: list[str] = []
    stop = threading.Event()
    folder = root / ("poll" if poll else "events")
    options = WatchOptions(folder, Job(connection=conn), settle=settle, poll=poll)
    watcher = threading.Thread(target=watch_folder, args=(options,),
                               kwargs={"stop": stop, "echo": lines.append})
    watcher.start()
    picked, done = [], []
    try:
        while not (folder / "inbox").is_dir():
            time.sleep(0.01)
        time.sleep(0.5)
        for n in range(repeat):
            staged = folder / f"f{n}.csv"
            staged.write_text(people(rows, f"{'p' if poll else 'e'}{n}-"))
            before = len(lines)
            start = time.perf_counter()
            staged.rename(folder / "inbox" / staged.name)
            picked.append(wait_for(lines, before, "picked up") - start)
            done.append(wait_for(lines, before, "done") - start)
    finally:
        stop.set()
        watcher.join()
    return statistics.median(picked), statistics.median(done)


def wait_for(lines: list[str], since: int, event: str) -> float:
    while not any(f"  {event} " in line for line in lines[since:]):
        time.sleep(0.005)
    return time.perf_counter()


def direct(conn: Connection, root: Path, rows: int, repeat: int) -> float:
    """Median seconds of enrich_file on the same kind of file."""
    times = []
    for n in range(repeat):
        source = root / f"d{n}.csv"
        source.write_text(people(rows, f"d{n}-"))
        start = time.perf_counter()
        enrich_file(EnrichOptions(input=source, output=root / f"d{n}.out.csv", yes=True,
                                  connection=conn))
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=200)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--settle", type=float, default=0.0)
    args = parser.parse_args()
    config = SandboxConfig(credits=10_000_000, time_scale=0.01, rate_limit_per_min=100_000,
                           org_rate_limit_per_min=100_000)
    with SandboxServer(config) as server, tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        conn = Connection(base_url=server.base_url, api_key=server.api_key,
                          state_dir=root / "state", rate_limit_per_min=6000)
        base = direct(conn, root, args.rows, args.repeat)
        for poll in (False, True):
            picked, done = through_folder(conn, root, args.rows, args.repeat, poll, args.settle)
            how = "--poll " if poll else "events "
            print(f"{how} picked up after {picked * 1000:6.0f} ms; done after {done:5.2f} s "
                  f"(enrich_file alone {base:5.2f} s: x{done / base:.2f}) "
                  f"[{args.rows} rows, --settle {args.settle:g}, median of {args.repeat}]")


if __name__ == "__main__":
    main()
