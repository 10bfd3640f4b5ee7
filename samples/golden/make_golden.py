"""Golden cases for the writers: inputs, what the API "answered", and the expected outputs.

    python samples/golden/make_golden.py            # write the inputs (xlsx) if missing
    python samples/golden/make_golden.py --expected # rewrite every expected/ file from the code

Each case folder holds `input.*`, `case.json` (one row key per data row, the outcomes and cache
hits, the outputs to write) and `expected/`: CSV/TSV byte for byte, XLSX as JSON (every cell's
type, value and number format, links, frozen pane, filter, sheet order and visibility).
Rewriting `expected/` is for a deliberate change only: read the diff cell by cell before
committing it.
"""

from __future__ import annotations

import json
import sys
from datetime import datetime
from pathlib import Path

HERE = Path(__file__).resolve().parent


def make_phones_input(path: Path) -> None:
    """An XLSX whose phones, ZIPs and IDs are number cells, plus sheets to carry over."""
    import openpyxl

    book = openpyxl.Workbook()
    readme = book.active
    readme.title = "Read me"
    readme.append(["Exported from the CRM", datetime(2026, 11, 2, 9, 30)])
    readme["B1"].number_format = "yyyy-mm-dd hh:mm"
    leads = book.create_sheet("Leads")
    leads.append(["Email", "Mobile", "Zip", "Account ID", "Big ID", "Score", "Note"])
    leads.append(["jane@acme.io", 14155550123, 2134, "000123", 440123456789, -3.5, "=1+1"])
    leads.append(["bob@example.com", "+44 20 7946 0958", "02134", 17, 4.4e11, 0, "@home"])
    leads.append(["cara@nowhere.dev", "+14155550123", "SW1A 1AA", "A-17", "1E5", "-12", "ok"])
    leads["C2"].number_format = "00000"
    leads["G2"].data_type = "s"  # text that looks like a formula, not a formula
    stats = book.create_sheet("Stats")
    stats.append(["Rows", "=COUNTA(Leads!A:A)-1", True])
    stats.append(["Budget", 1250.75, False])
    stats["B2"].number_format = "#,##0.00"
    stats.sheet_state = "hidden"
    book.active = 1
    book.save(path)


def write_expected(case: Path) -> None:
    """Run the writers on one case and store what they wrote under expected/."""
    sys.path.insert(0, str(HERE.parents[1]))
    sys.path.insert(0, str(HERE.parents[1] / "tests"))
    from test_write_golden import expected_xlsx, run_case

    out = case / "expected"
    out.mkdir(exist_ok=True)
    for written in run_case(case, out):
        if written.suffix == ".xlsx":
            doc = expected_xlsx(written)
            written.with_name(written.name + ".json").write_text(
                json.dumps(doc, indent=1, ensure_ascii=False) + "\n", encoding="utf-8"
            )
            written.unlink()


def main() -> None:
    phones = HERE / "phones" / "input.xlsx"
    if not phones.exists():
        make_phones_input(phones)
    if "--expected" in sys.argv:
        for case in sorted(p.parent for p in HERE.glob("*/case.json")):
            write_expected(case)


if __name__ == "__main__":
    main()
