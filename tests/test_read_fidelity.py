"""The Table keeps every cell and row as a person sees them; placeholders are empty only for
identifiers (QA findings 6 and 11)."""

from __future__ import annotations

from pathlib import Path

import xlsxwriter

from csv_enrich.mapping.columns import map_columns, row_values
from csv_enrich.models import Identity
from csv_enrich.read import read_table
from csv_enrich.rules.validate import validate

ROWS_CSV = (
    "Email,Lead Source,Notes\njane.doe@acmeanalytics.io,Webinar,\n,,\nN/A,N/A,N/A\n-,-,-\n"
    "none,unknown,\n,,call back Monday\n,,\nomar@acme.io,Event,x\n"
)


def test_csv_keeps_placeholder_cells_and_every_record(tmp_path: Path) -> None:
    """Placeholder cells stay as written and every record (",," included) is a data row."""
    path = tmp_path / "p.csv"
    path.write_text(ROWS_CSV)
    table = read_table(path)
    assert table.frame.height == 8
    assert table.source_rows == (2, 3, 4, 5, 6, 7, 8, 9)
    assert table.frame.row(2) == ("N/A", "N/A", "N/A")
    assert table.frame.row(4) == ("none", "unknown", None)
    assert table.blanked.row(4) == (None, "unknown", None)


def test_placeholder_rows_are_invalid_not_dropped(tmp_path: Path) -> None:
    """A row with no identifier is one invalid verdict; the others keep their identities."""
    path = tmp_path / "p.csv"
    path.write_text(ROWS_CSV)
    table = read_table(path)
    cmap = map_columns(table)
    verdicts = [validate(v, cmap.kind) for v in row_values(table, cmap)]
    keys = [v.key if isinstance(v, Identity) else None for v in verdicts]
    assert keys == ["email:jane.doe@acmeanalytics.io", *[None] * 6, "email:omar@acme.io"]


def test_placeholder_does_not_block_a_fallback_column(tmp_path: Path) -> None:
    """An N/A in the first email column lets the next email column fill in."""
    path = tmp_path / "p.csv"
    path.write_text("Work Email,Email\nN/A,jane@acme.io\nomar@acme.io,o@gmail.com\n")
    table = read_table(path)
    cmap = map_columns(table)
    assert [v["email"] for v in row_values(table, cmap)] == ["jane@acme.io", "omar@acme.io"]


def test_xlsx_keeps_placeholders_and_row_numbers(tmp_path: Path) -> None:
    """Workbook placeholders stay; an empty row is left out but the row numbers stay right."""
    path = tmp_path / "p.xlsx"
    with xlsxwriter.Workbook(path) as wb:
        ws = wb.add_worksheet()
        ws.write_row(0, 0, ["Email", "Phone", "Notes"])
        ws.write_row(1, 0, ["jane@acme.io", "N/A", "-"])
        ws.write_row(2, 0, ["N/A", "#N/A", "[not provided]"])
        ws.write_row(4, 0, ["omar@acme.io", "null", "ok"])
    table = read_table(path)
    assert table.source_rows == (2, 3, 5)
    assert table.frame.rows() == [
        ("jane@acme.io", "N/A", "-"),
        ("N/A", "#N/A", "[not provided]"),
        ("omar@acme.io", "null", "ok"),
    ]


def test_source_headers_keep_duplicate_names(tmp_path: Path) -> None:
    """Duplicate headers are unique in `headers` and exactly as written in `source_headers`."""
    path = tmp_path / "d.csv"
    path.write_text("Email,Email, Company ,\na@b.co,c@gmail.com,Acme,x\n")
    table = read_table(path)
    assert table.headers == ("Email", "Email (2)", "Company", "Column 4")
    assert table.source_headers == ("Email", "Email", " Company ", "")


def test_report_footer_rows_are_noted(tmp_path: Path) -> None:
    """Salesforce's footer rows stay rows, and a note says they are not leads."""
    path = tmp_path / "sf.csv"
    path.write_text(
        '"Email","Company"\n"jane@acme.io","Acme"\n,\n"Grand Totals (1 records)",\n,\n'
        '"Confidential Information - Do Not Distribute",\n'
        '"Copyright (c) 2000-2026 salesforce.com, inc. All rights reserved.",\n'
    )
    table = read_table(path)
    assert table.frame.height == 6
    assert table.non_data == {
        1: "an empty row", 2: "a report footer", 3: "an empty row", 4: "a report footer",
        5: "a report footer",
    }  # fmt: skip
    assert "5 empty or footer rows kept in the output where they were; they are not leads, not "\
        "sent and not counted as rows" in table.notes


def test_no_footer_note_for_ordinary_rows(tmp_path: Path) -> None:
    """A file ending with leads gets no footer note."""
    path = tmp_path / "a.csv"
    path.write_text("Email,Company\njane@acme.io,Acme\nomar@acme.io,Copyright Inc\n")
    assert not any("footer" in n for n in read_table(path).notes)


def test_empty_records_are_counted_in_a_note(tmp_path: Path) -> None:
    """Records holding nothing are kept and a note counts them."""
    path = tmp_path / "p.csv"
    path.write_text(ROWS_CSV)
    assert "2 empty rows kept in the output where they were; they are not leads, not sent and "\
        "not counted as rows" in read_table(path).notes
