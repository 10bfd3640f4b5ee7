"""Read + map + validate a 100k-row XLSX and CSV: prints time and peak memory per step.

    .venv/bin/python benchmarks/bench_read.py [--rows 100000]

Each measurement runs in a fresh interpreter so peak RSS (ru_maxrss) belongs to it alone; the
figure printed is the peak minus the RSS after imports. Inputs are generated into a temp dir.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HEADERS = [
    "Email", "First Name", "Last Name", "Company", "Website", "LinkedIn URL", "Phone", "Zip",
    "Created", "Title", "City", "Notes",
]  # fmt: skip


def _row(i: int) -> list[object]:
    return [
        f"person{i}@company{i % 5000}.com", f"First{i}", f"Last{i}", f"Company {i % 5000}",
        f"https://www.company{i % 5000}.com/", f"https://www.linkedin.com/in/person-{i}",
        14155550000 + i, i % 99999, dt.datetime(2024, 1, 1) + dt.timedelta(days=i % 365),
        "VP Sales", "Berlin", "note, with \"quotes\"",
    ]  # fmt: skip


def make_xlsx(path: Path, rows: int, styled: bool) -> None:
    """A workbook like a CRM export; `styled` gives Zip "00000" and Created a date format."""
    import xlsxwriter

    with xlsxwriter.Workbook(path, {"constant_memory": True, "strings_to_urls": False}) as wb:
        ws = wb.add_worksheet("Leads")
        zip_fmt = wb.add_format({"num_format": "00000"}) if styled else None
        date_fmt = wb.add_format({"num_format": "dd/mm/yyyy" if styled else "yyyy-mm-dd"})
        ws.write_row(0, 0, HEADERS)
        for i in range(rows):
            values = _row(i)
            ws.write_row(i + 1, 0, values[:7])
            ws.write_number(i + 1, 7, values[7], zip_fmt)  # type: ignore[arg-type]
            ws.write_datetime(i + 1, 8, values[8], date_fmt)  # type: ignore[arg-type]
            ws.write_row(i + 1, 9, values[9:])


def make_csv(path: Path, rows: int) -> None:
    """The same rows as CSV (written with the stdlib csv module)."""
    import csv

    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(HEADERS)
        writer.writerows(_row(i) for i in range(rows))


def measure(path: str) -> dict[str, float]:
    """Time read_table, map_columns and validate over every row, in this process."""
    from csv_enrich.mapping.columns import map_columns, row_values
    from csv_enrich.read import read_table
    from csv_enrich.read.workbook import check_zip
    from csv_enrich.rules.validate import validate

    base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    tz = time.perf_counter()
    if path.endswith(".xlsx"):
        check_zip(Path(path))  # the container check alone: zip bomb, DTDs, Excel's limits
    t0 = time.perf_counter()
    table = read_table(Path(path))
    t1 = time.perf_counter()
    cmap = map_columns(table)
    t2 = time.perf_counter()
    valid = sum(1 for v in row_values(table, cmap) if hasattr(validate(v, cmap.kind), "key"))
    t3 = time.perf_counter()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return {"check_s": t0 - tz, "read_s": t1 - t0, "map_s": t2 - t1, "validate_s": t3 - t2,
            "valid": valid, "rows": table.frame.height,
            "peak_mib": (peak - base) / 1024}  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--one", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        print(json.dumps(measure(args.one)))
        return
    with tempfile.TemporaryDirectory() as tmp:
        files = {
            "csv": Path(tmp, "leads.csv"),
            "xlsx": Path(tmp, "leads.xlsx"),
            "xlsx+formats": Path(tmp, "leads_fmt.xlsx"),
        }
        make_csv(files["csv"], args.rows)
        make_xlsx(files["xlsx"], args.rows, styled=False)
        make_xlsx(files["xlsx+formats"], args.rows, styled=True)
        for name, path in files.items():
            out = subprocess.run(
                [sys.executable, __file__, "--one", str(path)],
                capture_output=True, text=True, check=True,
            )  # fmt: skip
            r = json.loads(out.stdout)
            print(
                f"{name:13} {r['rows']:>7} rows  read {r['read_s']:.2f} s (the zip check alone "
                f"{r['check_s']:.2f} s)  map {r['map_s']:.3f} s"
                f"  validate {r['validate_s']:.2f} s  peak +{r['peak_mib']:.0f} MiB"
            )


if __name__ == "__main__":
    main()
