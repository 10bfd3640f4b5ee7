"""Files as people really export them, through the CLI (issue 12): the order of the columns for
one field in `estimate`, --map setting it, and the row notes in the output."""

from __future__ import annotations

import csv
import json
import shlex
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from csv_enrich.cli.commands import main

TRAPS = Path(__file__).resolve().parents[1] / "samples" / "traps"


def run(args: list[str], env: dict[str, str] | None = None) -> Result:
    return CliRunner().invoke(main, args, env=env or {}, catch_exceptions=False)


def test_estimate_shows_the_order_of_the_email_columns() -> None:
    """Google Contacts: E-mail 1, then 2, then 3, in the text and in --json."""
    result = run(["estimate", str(TRAPS / "google_contacts.csv"), "--no-cache"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    first = lines.index(next(line for line in lines if "'E-mail 1 - Value'" in line))
    assert "-> email" in lines[first]
    assert "then 'E-mail 2 - Value'" in lines[first + 1]
    assert "then 'E-mail 3 - Value'" in lines[first + 2]
    assert "Note: recognised as a Google Contacts export" in result.output
    data = json.loads(run(["estimate", str(TRAPS / "google_contacts.csv"), "--json",
                           "--no-cache"]).output)  # fmt: skip
    assert data["columns_in_order"]["email"] == [
        "E-mail 1 - Value", "E-mail 2 - Value", "E-mail 3 - Value",
    ]  # fmt: skip
    assert data["rows"]["valid"] == 4


def test_repeated_map_sets_the_order() -> None:
    """--map for one field twice: both columns, in the order given; the ambiguity is gone."""
    path = str(TRAPS / "map_order.csv")
    refused = run(["estimate", path, "--no-cache"])
    assert refused.exit_code != 0
    assert "--map 'Mail A=email' --map 'Mail B=ignore'" in refused.output
    result = run(["estimate", path, "--json", "--no-cache",
                  "--map", "Mail B=email", "--map", "Mail A=email"])  # fmt: skip
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["mapping"]["email"] == "Mail B"
    assert data["columns_in_order"]["email"] == ["Mail B", "Mail A"]
    reversed_order = run(["estimate", path, "--json", "--no-cache",
                          "--map", "Mail A=email", "--map", "Mail B=email"])  # fmt: skip
    assert json.loads(reversed_order.output)["columns_in_order"]["email"] == ["Mail A", "Mail B"]


@pytest.mark.slow
def test_several_addresses_note_reaches_the_output(
    fast_sandbox: Any, tmp_path: Path, state_dir: Path
) -> None:
    """The row whose cell held two addresses is enriched with the first valid one and says so
    in enrichment_note; the others carry no such note."""
    out = tmp_path / "o.csv"
    env = {"CLEANLIST_API_KEY": fast_sandbox.api_key, "CLEANLIST_BASE_URL": fast_sandbox.base_url}
    result = run([str(TRAPS / "several_in_cell.csv"), "-o", str(out), "--yes", "--mode", "rows",
                  "--state-dir", str(state_dir), "--rate-limit", "6000"], env)  # fmt: skip
    assert result.exit_code == 0, result.output
    with out.open(newline="", encoding="utf-8-sig") as fh:
        rows = list(csv.DictReader(fh))
    notes = [r["enrichment_note"] for r in rows]
    assert notes[0].startswith("'Email' holds several values; the first valid email "
                               "(jane@acme.io) is used")  # fmt: skip
    assert notes[1].startswith("'Email' holds several values; the first valid email "
                               "(john@beta.io) is used")  # fmt: skip
    assert "several values" not in notes[2]
    assert rows[3]["enrichment_status"] == "invalid"
    assert [r["Email"] for r in rows] == [
        "jane@acme; jane@acme.io", "john@beta.io, j.roe@beta.io", "ann@gamma.dev", "x; y",
    ]  # fmt: skip


def test_rows_that_are_not_data_are_counted_apart() -> None:
    """Blank lines, a delimiter-only row and a report footer: not rows, not invalid."""
    result = run(["estimate", str(TRAPS / "report_footer.csv"), "--json", "--no-cache"])
    assert result.exit_code == 0, result.output
    rows = json.loads(result.output)["rows"]
    assert (rows["total"], rows["valid"], rows["invalid"], rows["not_data"]) == (2, 2, 0, 7)
    text = run(["estimate", str(TRAPS / "report_footer.csv"), "--no-cache"]).output
    assert "report_footer.csv: 2 rows of people (header on row 4)" in text
    assert "7 empty or footer rows kept (not leads, not counted)" in text
    assert "Invalid rows" not in text


@pytest.mark.slow
def test_not_data_and_ragged_rows_in_the_output_and_report(
    fast_sandbox: Any, tmp_path: Path, state_dir: Path
) -> None:
    """Rows that are not data stay where they were with nothing appended; a ragged row is
    marked invalid with what is wrong; the report counts data rows only."""
    env = {"CLEANLIST_API_KEY": fast_sandbox.api_key, "CLEANLIST_BASE_URL": fast_sandbox.base_url}
    out, report = tmp_path / "o.csv", tmp_path / "o.report.json"
    result = run([str(TRAPS / "report_footer.csv"), "-o", str(out), "--yes", "--mode", "rows",
                  "--state-dir", str(state_dir), "--rate-limit", "6000"], env)  # fmt: skip
    assert result.exit_code == 0, result.output
    lines = out.read_text(encoding="utf-8-sig").splitlines()
    assert lines[0] == '"Leads report"' or lines[0].startswith("Leads report")
    # every field of this Salesforce export is quoted, and comes back so
    header_at = next(i for i, line in enumerate(lines) if line.startswith('"First Name"'))
    body = list(csv.reader(lines[header_at + 1 :]))
    statuses = [r[-3] if len(r) > 4 else "" for r in body]
    assert [bool(s) for s in statuses] == [True, False, True, False, False, False, False, False,
                                           False]  # fmt: skip
    assert body[5][0] == "Grand Totals (2 records)"
    data = json.loads(report.read_text())
    assert (data["rows"]["total"], data["rows"]["invalid"], data["rows"]["not_data"]) == (2, 0, 7)
    assert "2 in all (7 empty or footer rows kept apart)" in result.output

    out2 = tmp_path / "r.csv"
    result = run([str(TRAPS / "ragged_shift.csv"), "-o", str(out2), "--yes", "--mode", "rows",
                  "--state-dir", str(state_dir), "--rate-limit", "6000"], env)  # fmt: skip
    assert result.exit_code == 0, result.output
    with out2.open(newline="", encoding="utf-8-sig") as fh:
        rows = list(csv.DictReader(fh))
    assert rows[1]["enrichment_status"] == "invalid"
    assert "its values moved left (the email sits under 'Company')" in rows[1]["enrichment_note"]
    assert rows[2]["enrichment_status"] == "invalid"
    assert "the row has 5 fields but the header has 4" in rows[2]["enrichment_note"]


def test_xlsx_summary_counts_the_rows_kept_apart(
    fast_sandbox: Any, tmp_path: Path, state_dir: Path
) -> None:
    """The Summary sheet of an XLSX output lists the empty or footer rows apart from Total."""
    from openpyxl import load_workbook

    env = {"CLEANLIST_API_KEY": fast_sandbox.api_key, "CLEANLIST_BASE_URL": fast_sandbox.base_url}
    out = tmp_path / "o.xlsx"
    result = run([str(TRAPS / "report_footer.csv"), "-o", str(out), "--yes", "--mode", "rows",
                  "--state-dir", str(state_dir), "--rate-limit", "6000"], env)  # fmt: skip
    assert result.exit_code == 0, result.output
    book = load_workbook(out, read_only=True)
    lines = [(r[0], r[1]) for r in book["Summary"].iter_rows(values_only=True) if r and r[0]]
    book.close()
    rows_at = lines.index(("Rows", None))
    assert lines[rows_at + 1] == ("Total", 2)
    assert ("Empty or footer rows (kept, not leads)", 7) in lines


def test_a_website_column_of_linkedin_pages_is_not_said_to_give_domains(tmp_path: Path) -> None:
    """QA: on a Sales Navigator export estimate said both "domains are taken from the websites
    in 'companyUrl'" and "'companyUrl' holds LinkedIn pages ...; no domain is taken from them"."""
    src = tmp_path / "salesnav.csv"
    src.write_text(
        "profileUrl,fullName,companyName,companyUrl,linkedInProfileUrl,defaultProfileUrl\n"
        "https://www.linkedin.com/sales/lead/ACwAAB1,Ngozi Okafor,Flutterwave,"
        "https://www.linkedin.com/company/flutterwave,https://www.linkedin.com/in/ngozi-okafor,\n"
        "https://www.linkedin.com/sales/lead/ACwAAC4,Pedro Álvarez,Cabify,,,"
        "https://www.linkedin.com/in/ACwAAC456\n", encoding="utf-8")
    result = run(["estimate", str(src)])
    assert result.exit_code == 0, result.output
    assert "'companyUrl' holds LinkedIn pages" in result.output
    assert "domains are taken from the websites" not in result.output


def test_a_salesforce_report_footer_is_not_counted_as_invalid_leads(tmp_path: Path) -> None:
    """QA: the lines under a Salesforce report (totals, confidentiality, copyright, "Generated
    By", the organisation's name) were 5 invalid rows; they are footer rows, kept apart."""
    src = tmp_path / "sfdc.csv"
    src.write_text(
        '"First Name","Last Name","Account Name","Email"\n'
        '"Hélène","Brûlé","Carrefour","helene.brule@carrefour.com"\n'
        '""\n"Grand Totals (1 record)"\n""\n""\n'
        '"Confidential Information - Do Not Distribute"\n'
        '"Copyright (c) 2000-2026 salesforce.com, inc. All rights reserved."\n'
        '"Generated By:  Jane Ops  12/7/2026 9:14 AM"\n"Acme Inc."\n', encoding="utf-8")
    result = run(["estimate", str(src), "--json"])
    assert result.exit_code == 0, result.output
    rows = json.loads(result.output)["rows"]
    assert (rows["total"], rows["invalid"], rows["not_data"]) == (1, 0, 8)


def test_equally_fitting_columns_say_they_are_all_used_and_how_to_reorder(tmp_path: Path) -> None:
    """QA: three phone columns were listed as used in order ('then' lines) while a note said
    "'Work Direct Phone' is used as phone; 'Mobile Phone' and 'Corporate Phone' also fits" and
    offered a --map that dropped one; the note now gives the --map order that works."""
    src = tmp_path / "phones.csv"
    src.write_text(
        "First Name,Last Name,Company,Email,Work Direct Phone,Mobile Phone,Corporate Phone\n"
        "Ana,Lima,Stripe,ana@stripe.com,,+1 415 555 0101,+1 415 555 0000\n"
        "Bo,Li,Acme,bo@acme.com,+1 212 555 0102,,\n", encoding="utf-8")
    shown = run(["estimate", str(src)]).output
    assert "also fits" not in shown
    hint = shown.split("best first: ")[1].splitlines()[0]
    reordered = run(["estimate", str(src), "--json", *shlex.split(hint)])
    assert reordered.exit_code == 0, reordered.output
    doc = json.loads(reordered.output)
    assert doc["columns_in_order"]["phone"] == ["Mobile Phone", "Corporate Phone",
                                                "Work Direct Phone"]
