"""The user's own spreadsheet comes back, through the CLI against the sandbox, in every mode:
each input record byte for byte (CRLF, BOM, blank lines, a multi-line cell, quotes), the
appended cells after it; rows past --limit stay, marked skipped, and the report counts them."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from click.testing import CliRunner, Result

from csv_enrich.cli.commands import main
from csv_enrich.models import PERSON_COLUMNS
from csv_enrich.read.rawtext import field_starts, records

SAMPLES = Path(__file__).resolve().parents[1] / "samples"
CONTACTS = (
    "First Name,Last Name,Email,Company,Address\r\n"
    'Jane,Doe,jane@acme.io,Acme,"1 Main St\r\nSpringfield"\r\n'
    "\r\n"
    '"Bob",Smith,bob@example.com,"Example, Inc",2 High St\r\n'
    "\r\n"
    "Cara,Lee,cara@nowhere.dev,Nowhere,Elm\r\n"
)
PAST_LIMIT = "not sent: past --limit 2 (only the first 2 rows are enriched)"


def run(args: list[str], sandbox: Any) -> Result:
    env = {"CLEANLIST_API_KEY": sandbox.api_key, "CLEANLIST_BASE_URL": sandbox.base_url}
    return CliRunner().invoke(main, args, env=env, catch_exceptions=False)


def without_appended(path: Path, sep: str = ",") -> str:
    """The output's text with the appended cells (and their delimiter) taken off each record
    that has them: what the input was, if every input cell came back as it was."""
    appended = len(PERSON_COLUMNS)
    parts = []
    for rec in records(path, "utf-8-sig", sep):
        body = rec.body
        if len(rec.fields) > appended:
            body = body[: field_starts(body, sep)[-appended] - 1]
        parts.append(body + rec.end)
    return "".join(parts)


@pytest.mark.slow
@pytest.mark.parametrize("mode", ["rows", "bulk", "legacy"])
def test_every_mode_gives_each_record_back_and_marks_rows_past_the_limit(
        fast_sandbox: Any, tmp_path: Path, state_dir: Path, mode: str) -> None:
    """Regression: blank lines came back as ',,,,', CRLF as LF, and --limit dropped the rows
    past it from the output."""
    src = tmp_path / "contacts.csv"
    src.write_bytes(b"\xef\xbb\xbf" + CONTACTS.encode())
    out = tmp_path / "out.csv"
    result = run([str(src), "-o", str(out), "--yes", "--mode", mode, "--limit", "2",
                  "--state-dir", str(state_dir), "--rate-limit", "6000"], fast_sandbox)
    assert result.exit_code == 0, result.output
    data = out.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")
    assert data.count(b"\n") == data.count(b"\r\n")  # every line ending stays CRLF
    assert without_appended(out) == CONTACTS
    assert b'"1 Main St\r\nSpringfield",' in data
    assert b'\r\n\r\n"Bob",Smith,' in data  # the blank line, blank; Bob's quotes as written
    last = data.decode("utf-8-sig").split("\r\n")[-2]
    assert last == f"Cara,Lee,cara@nowhere.dev,Nowhere,Elm,,,,,,,,skipped,{PAST_LIMIT},0"
    rows = json.loads((tmp_path / "out.report.json").read_text())["rows"]
    assert (rows["total"], rows["skipped"], rows["past_limit"], rows["not_data"]) == (3, 1, 1, 2)
    assert rows["submitted"] == 2
    assert "1 skipped (1 past --limit)" in result.output


@pytest.mark.slow
def test_rows_past_the_limit_stay_in_xlsx_output(
        fast_sandbox: Any, tmp_path: Path, state_dir: Path) -> None:
    """CSV in, XLSX out, and an XLSX input: the rows past --limit keep their cells and say why
    they were not sent."""
    src = tmp_path / "contacts.csv"
    src.write_bytes(CONTACTS.encode())
    out = tmp_path / "out.xlsx"
    result = run([str(src), "-o", str(out), "--yes", "--limit", "2",
                  "--state-dir", str(state_dir), "--rate-limit", "6000"], fast_sandbox)
    assert result.exit_code == 0, result.output
    sheet = openpyxl.load_workbook(out).worksheets[0]
    status = [c.value for c in sheet[1]].index("enrichment_status") + 1
    assert [sheet.cell(6, c).value for c in (1, 2, 3, status, status + 1)] == [
        "Cara", "Lee", "cara@nowhere.dev", "skipped", PAST_LIMIT]
    summary = openpyxl.load_workbook(out)["Summary"]
    lines = [(r[0], r[1]) for r in summary.iter_rows(values_only=True)]
    assert ("Of those skipped: past --limit (kept, not sent)", 1) in lines

    book = tmp_path / "leads.xlsx"
    book.write_bytes((SAMPLES / "leads.xlsx").read_bytes())
    out = tmp_path / "leads-out.xlsx"
    result = run([str(book), "-o", str(out), "--yes", "--limit", "2",
                  "--state-dir", str(state_dir), "--rate-limit", "6000"], fast_sandbox)
    assert result.exit_code == 0, result.output
    before = openpyxl.load_workbook(book).worksheets[0]
    after = openpyxl.load_workbook(out).worksheets[0]
    width = before.max_column
    status = [c.value for c in after[1]].index("enrichment_status") + 1
    for r in range(2, before.max_row + 1):
        assert [c.value for c in after[r][:width]] == [c.value for c in before[r][:width]]
    marks = [after.cell(r, status).value for r in range(2, after.max_row + 1)]
    assert marks[2:] == ["skipped"] * (len(marks) - 2)
    rows = json.loads((tmp_path / "leads-out.report.json").read_text())["rows"]
    assert rows["past_limit"] == rows["total"] - 2
