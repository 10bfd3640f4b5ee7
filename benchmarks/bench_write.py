"""Writing a 100k-row enriched output: time and peak memory of each writer.

    python benchmarks/bench_write.py [--rows 100000] [--repeat 3]

Cases (each run in a fresh process, so peaks do not mix):
  join+report   join 100k outcomes onto the rows and build the report
  csv           write_output to .csv from a table built in memory: each row written from its
                cells (polars, injection-safe)
  csv-file      write_output to .csv from a CSV file read with read_table: each record copied
                as it was written (output.delimited), the appended cells after it
  xlsx          write_output to .xlsx from a CSV input, with the Summary sheet
  xlsx+sheets   write_output to .xlsx from an XLSX input with a small "Notes" sheet -- the input
                workbook is made once, first (1M different shared strings). The output is the
                input's zip with the Leads sheet's XML rewritten row by row (xlsx_patch): the
                shared-strings table is copied, never loaded

Figures: median wall time, and peak RSS growth over the process's RSS before the timed call
(the peak is reset through /proc/self/clear_refs, so building the test data does not count).
Printed, never asserted (machine noise is 3-10%).
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
HEADERS = ("First Name", "Last Name", "Email", "Company", "Website", "LinkedIn URL", "Title",
           "Phone", "Zip", "Account ID")


def cells(i: int) -> list[str]:
    """One input row of plausible lead data."""
    return [f"First{i}", f"Last{i}", f"person{i}@company{i % 997}.com", f"Company {i % 997}",
            f"https://company{i % 997}.com", f"https://www.linkedin.com/in/person-{i}",
            "VP Sales" if i % 3 else "=1+1", f"+1415{i:07d}", f"{i % 100000:05d}", f"{i:012d}"]


def make_table(rows: int, path: Path, fmt: str, sheets: tuple[str, ...] = ()) -> Any:
    """The input as read.py would return it (built directly: reading is benchmarked elsewhere)."""
    import polars as pl

    from csv_enrich.read import Table

    columns = list(zip(*(cells(i) for i in range(rows)), strict=True))
    frame = pl.DataFrame({h: pl.Series(c, dtype=pl.String) for h, c in zip(HEADERS, columns,
                                                                           strict=True)})
    return Table(path=path, format=fmt, frame=frame, headers=HEADERS,
                 source_rows=tuple(range(2, rows + 2)), delimiter=",",
                 sheet="Leads" if sheets else None, sheets=sheets)


def make_plan_and_result(rows: int) -> tuple[Any, Any]:
    """A plan with 2% invalid rows and 5% duplicates; 60% of the people found."""
    from csv_enrich.models import Identity, Invalid, Outcome, Plan, RunResult, WorkflowRecord

    keys: list[str | Invalid] = [
        Invalid("no identifier") if i % 50 == 7 else f"email:{i - (i % 20 == 3)}"
        for i in range(rows)
    ]
    unique = list(dict.fromkeys(k for k in keys if isinstance(k, str)))
    outcomes = {k: Outcome(k, "enriched", credits=1, workflow_id="bulk-1", data={
        "email": f"{k[6:]}@found.io", "email_status": "valid", "phone": "+14155550142",
        "linkedin_url": f"https://www.linkedin.com/in/found-{k[6:]}", "full_name": "Jane Doe",
        "title": "VP Sales", "company": "Acme"}) if n % 5 < 3 else Outcome(k, "not_found")
        for n, k in enumerate(unique)}
    charged = sum(o.credits for o in outcomes.values())
    plan = Plan(kind="person", enrichment_type="partial", mode="bulk", row_keys=tuple(keys),
                identities=tuple(Identity("person", k) for k in unique), cached={},
                duplicates=len(keys) - len(unique) - sum(isinstance(k, Invalid) for k in keys),
                estimated_max=len(unique), run_id="bench")
    result = RunResult(mode="bulk", outcomes=outcomes, workflows=(WorkflowRecord(
        "bulk-1", "completed", len(unique), charged, len(unique) - charged, "not_applicable"),),
        requests=12, balance_before=10**6, balance_after=10**6 - charged)
    return plan, result


def make_input_workbook(rows: int, path: Path) -> None:
    """An XLSX input: a big "Leads" sheet and a small "Notes" sheet to carry over. Written with
    a shared-strings table, as Excel saves it (openpyxl loads that table even in read-only mode)."""
    import xlsxwriter

    book = xlsxwriter.Workbook(str(path), {"strings_to_urls": False})
    leads = book.add_worksheet("Leads")
    leads.write_row(0, 0, HEADERS)
    for i in range(rows):
        for j, value in enumerate(cells(i)):
            leads.write_string(i + 1, j, value)
    notes = book.add_worksheet("Notes")
    for r in range(200):
        notes.write_row(r, 0, [f"note {r}", r * 1.5, f"=B{r + 1}*2"])
    book.close()


def read_csv_input(table: Any, path: Path) -> Any:
    """The table written as a CSV file (CRLF, as Excel saves it) and read back from it."""
    import csv

    from csv_enrich.read import read_table

    with path.open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh, lineterminator="\r\n").writerows([table.headers, *table.frame.rows()])
    return read_table(path)


def rss_kib() -> int:
    """Current resident memory of this process."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def peak_kib() -> int:
    """Peak resident memory since the last reset."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    return 0


def child(case: str, rows: int, folder: Path) -> dict[str, float]:
    """Run one case once, in this process; return seconds and MiB of peak growth."""
    from csv_enrich.models import EnrichOptions
    from csv_enrich.output.write import join, write_output
    from csv_enrich.report import build_report

    fmt, sheets = ("xlsx", ("Leads", "Notes")) if case == "xlsx+sheets" else ("csv", ())
    source = folder / ("input.xlsx" if sheets else "input.csv")
    table = make_table(rows, source, fmt, sheets)
    if case == "csv-file":
        table = read_csv_input(table, source)
    plan, result = make_plan_and_result(rows)
    output = folder / ("out.csv" if case.startswith("csv") else "out.xlsx")

    def build() -> Any:
        joined = join(plan, result.outcomes, source_rows=table.source_rows)
        now = datetime.now(UTC)
        return joined, build_report(options=EnrichOptions(input=source), table=table, plan=plan,
                                    result=result, rows=joined, output=output, started_at=now,
                                    finished_at=now)

    joined, report = build()
    Path("/proc/self/clear_refs").write_text("5")
    before, start = rss_kib(), time.perf_counter()
    if case == "join+report":
        build()
    else:
        write_output(table, "person", joined, output, report=report)
    seconds = time.perf_counter() - start
    return {"seconds": seconds, "peak_mib": (peak_kib() - before) / 1024,
            "size_mib": output.stat().st_size / 2**20 if output.exists() else 0.0}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--cases", default="join+report,csv,csv-file,xlsx,xlsx+sheets")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--folder", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.child, args.rows, args.folder)))
        return
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        started = time.perf_counter()
        make_input_workbook(args.rows, folder / "input.xlsx")
        print(f"(made a {args.rows:,}-row input workbook in {time.perf_counter() - started:.1f} s)")
        print(f"{'case':14} {'rows':>8} {'median s':>9} {'peak +MiB':>10} {'file MiB':>9}")
        for case in args.cases.split(","):
            runs = [run_child(case, args.rows, folder) for _ in range(args.repeat)]
            print(f"{case:14} {args.rows:>8,} {statistics.median(r['seconds'] for r in runs):>9.2f}"
                  f" {statistics.median(r['peak_mib'] for r in runs):>10.1f}"
                  f" {runs[-1]['size_mib']:>9.1f}")


def run_child(case: str, rows: int, folder: Path) -> dict[str, float]:
    """One case in a fresh interpreter."""
    cmd = [sys.executable, __file__, "--child", case, "--rows", str(rows), "--folder", str(folder)]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True, cwd=ROOT)
    result: dict[str, float] = json.loads(out.stdout)
    return result


if __name__ == "__main__":
    main()
