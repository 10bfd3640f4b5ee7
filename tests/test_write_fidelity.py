"""Round-2 hand-off fidelity: header texts as in the file, XLSX layout carried, BOM for Excel."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import openpyxl
import pytest

from csv_enrich.models import Outcome
from csv_enrich.output.write import write_output
from csv_enrich.read import read_table


def outcomes(n: int) -> list[Outcome]:
    """n not-found outcomes, one per data row."""
    return [Outcome(f"email:{i}@x.io", "not_found") for i in range(n)]


def duplicate_header_csv(tmp_path: Path) -> Path:
    """A CSV whose header repeats a name, as CRM exports do."""
    path = tmp_path / "dup.csv"
    path.write_text("Email,Email,Name\na@x.io,b@x.io,Ann\n", encoding="utf-8")
    return path


def test_duplicate_header_names_kept_in_csv(tmp_path: Path) -> None:
    """`Email,Email` stays `Email,Email` in a CSV output (CRM templates match on header text)."""
    table = read_table(duplicate_header_csv(tmp_path))
    out = tmp_path / "out.csv"
    write_output(table, "person", outcomes(1), out)
    header = out.read_text(encoding="utf-8").splitlines()[0]
    assert header.startswith("Email,Email,Name,enriched_email,")


def test_duplicate_header_names_kept_in_xlsx(tmp_path: Path) -> None:
    """`Email,Email` stays `Email,Email` in an XLSX output's header row."""
    table = read_table(duplicate_header_csv(tmp_path))
    out = tmp_path / "out.xlsx"
    write_output(table, "person", outcomes(1), out)
    sheet = openpyxl.load_workbook(out).active
    assert sheet is not None
    assert [c.value for c in sheet[1]][:4] == ["Email", "Email", "Name", "enriched_email"]


def group_header_workbook(path: Path, *, first_column: int = 1) -> None:
    """A Salesforce-like sheet: a title, merged group headers, a hidden and a wide column."""
    from openpyxl.utils import get_column_letter

    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "Leads"
    sheet.cell(1, 1, "Leads report")
    sheet.cell(2, first_column, "Person")
    sheet.cell(2, first_column + 2, "Company")
    letter = get_column_letter
    sheet.merge_cells(f"{letter(first_column)}2:{letter(first_column + 1)}2")
    sheet.merge_cells(f"{letter(first_column + 2)}2:{letter(first_column + 3)}2")
    for j, text in enumerate(["Name", "Email", "Company", "Secret"]):
        sheet.cell(3, first_column + j, text)
        sheet.cell(4, first_column + j, f"{text.lower()}-1" if j != 1 else "ann@x.io")
    sheet.column_dimensions[letter(first_column)].width = 33
    sheet.column_dimensions[letter(first_column + 3)].hidden = True
    book.save(path)


def test_hidden_column_widths_and_group_header_merges_carried(tmp_path: Path) -> None:
    """The enriched sheet keeps the input's hidden column, its own widths and the merged
    group-header cells above the header."""
    group_header_workbook(tmp_path / "in.xlsx")
    table = read_table(tmp_path / "in.xlsx")
    assert table.header_row == 3
    write_output(table, "person", outcomes(1), tmp_path / "out.xlsx")
    sheet = openpyxl.load_workbook(tmp_path / "out.xlsx")["Leads"]
    assert {str(r) for r in sheet.merged_cells.ranges} == {"A2:B2", "C2:D2"}
    assert (sheet["A2"].value, sheet["C2"].value) == ("Person", "Company")
    assert sheet.column_dimensions["D"].hidden
    assert round(sheet.column_dimensions["A"].width) == 33
    assert not sheet.column_dimensions["E"].hidden
    assert [c.value for c in sheet[4]][:4] == ["name-1", "ann@x.io", "company-1", "secret-1"]


def test_columns_stay_in_place_with_their_looks(tmp_path: Path) -> None:
    """When the input's table starts at column B, the output keeps it there (issue 11: the
    input workbook with columns added): B keeps its width, E stays hidden, and the new columns
    start at F, none hidden."""
    group_header_workbook(tmp_path / "in.xlsx", first_column=2)
    table = read_table(tmp_path / "in.xlsx")
    write_output(table, "person", outcomes(1), tmp_path / "out.xlsx")
    sheet = openpyxl.load_workbook(tmp_path / "out.xlsx")["Leads"]
    assert [c.value for c in sheet[3]][:6] == [None, "Name", "Email", "Company", "Secret",
                                               "enriched_email"]
    assert round(sheet.column_dimensions["B"].width) == 33
    assert sheet.column_dimensions["E"].hidden
    assert not any(sheet.column_dimensions[c].hidden for c in "FGHIJ")


def test_input_workbook_gone_before_writing_still_writes_the_results(tmp_path: Path) -> None:
    """An input workbook moved away during a long run does not lose the paid results: the
    output is written and a note says what could not be carried over."""
    group_header_workbook(tmp_path / "in.xlsx")
    table = read_table(tmp_path / "in.xlsx")
    (tmp_path / "in.xlsx").unlink()
    notes = write_output(table, "person", outcomes(1), tmp_path / "out.xlsx")
    assert any("could not be opened again" in n for n in notes)
    sheet = openpyxl.load_workbook(tmp_path / "out.xlsx")["Leads"]
    assert [c.value for c in sheet[3]][:2] == ["Name", "Email"]


def test_re_enriching_replaces_the_earlier_summary_sheet(tmp_path: Path) -> None:
    """Enriching an enriched XLSX again gives one cost summary: the earlier csv-enrich Summary
    sheet is replaced (and the note says so), while a sheet of the user's own is kept."""
    from tests.test_write_xlsx import a_report

    group_header_workbook(tmp_path / "in.xlsx")
    table = read_table(tmp_path / "in.xlsx")
    first = tmp_path / "first.xlsx"
    report: Any = a_report(tmp_path, table)
    write_output(table, "person", outcomes(1), first, report=report)
    again = read_table(first, sheet="Leads")
    assert again.sheets == ("Leads", "Summary")
    notes = write_output(again, "person", outcomes(1), tmp_path / "second.xlsx", report=report)
    assert openpyxl.load_workbook(tmp_path / "second.xlsx").sheetnames == ["Leads", "Summary"]
    assert "The input's sheet 'Summary' (an earlier csv-enrich Summary) is replaced." in notes


@pytest.mark.parametrize(
    ("encoding", "bom"), [("cp1252", True), ("utf-8-sig", True), ("utf-8", False)]
)
def test_bom_when_the_input_was_for_excel(tmp_path: Path, encoding: str, bom: bool) -> None:
    """A Windows-1252 (or BOM-marked) CSV gives a UTF-8 CSV with a BOM, so German Excel shows
    "Müller", not "MÃ¼ller", and a note says so; a plain UTF-8 input gives no BOM."""
    source = tmp_path / "de.csv"
    source.write_bytes("Name;E-Mail\nJürgen Müller;jm@firma.de\n".encode(encoding))
    out = tmp_path / "out.csv"
    notes = write_output(read_table(source), "person", outcomes(1), out)
    data = out.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf") == bom
    assert "Jürgen Müller;jm@firma.de".encode() in data
    assert any("BOM" in n for n in notes) == bom


SALESFORCE_CSV = (
    '"Leads with email, this quarter"\n'
    '"Acme Inc."\n'
    '"Filtered By: Lead Status equals Open"\n'
    "\n"
    "First Name,Last Name,Email,Company\n"
    "Jane,Doe,jane@acme.io,Acme\n"
    "Bob,Roe,bob@example.com,Example\n"
)


def test_csv_title_rows_stay_above_the_header_in_csv_output(tmp_path: Path) -> None:
    """A Salesforce report's three title rows and the blank line under them come back where
    they were, as they were written (quotes that were not needed included); the header and
    data follow."""
    src = tmp_path / "report.csv"
    src.write_text(SALESFORCE_CSV, encoding="utf-8")
    table = read_table(src)
    out = tmp_path / "out.csv"
    write_output(table, "person", outcomes(2), out)
    lines = out.read_text(encoding="utf-8").splitlines()
    assert lines[:4] == SALESFORCE_CSV.splitlines()[:4]
    assert lines[4].startswith("First Name,Last Name,Email,Company,enriched_email")
    assert lines[5].startswith("Jane,Doe,jane@acme.io,Acme,")
    assert len(lines) == 7


def test_csv_title_rows_stay_above_the_header_in_xlsx_output(tmp_path: Path) -> None:
    """The same report written as XLSX: titles on rows 1-3, row 4 blank, the header on row 5
    (frozen under it, the filter on it), the data from row 6."""
    src = tmp_path / "report.csv"
    src.write_text(SALESFORCE_CSV, encoding="utf-8")
    out = tmp_path / "out.xlsx"
    write_output(read_table(src), "person", outcomes(2), out)
    sheet = openpyxl.load_workbook(out).worksheets[0]
    assert [sheet.cell(r, 1).value for r in range(1, 7)] == [
        "Leads with email, this quarter", "Acme Inc.", "Filtered By: Lead Status equals Open",
        None, "First Name", "Jane",
    ]
    assert sheet.freeze_panes == "A6"
    assert str(sheet.auto_filter.ref).startswith("A5:")
