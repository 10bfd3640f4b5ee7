"""read_table on small CSV and XLSX files written in tmp_path."""

from __future__ import annotations

from pathlib import Path

import pytest
import xlsxwriter

from csv_enrich.errors import InputError
from csv_enrich.read import read_table


def _write(path: Path, text: str, encoding: str = "utf-8") -> Path:
    path.write_bytes(text.encode(encoding))
    return path


def test_csv_reads_every_cell_as_text(tmp_path: Path) -> None:
    """A plain CSV becomes string columns with the CSV line numbers of its records; a blank line
    among them stays a row (it is not data, and is kept in the output where it was)."""
    path = _write(tmp_path / "a.csv", "Email,Phone\njane@acme.io,0415550123\n\nx@y.co,N/A\n")
    table = read_table(path)
    assert table.headers == ("Email", "Phone")
    assert table.frame.to_dicts() == [
        {"Email": "jane@acme.io", "Phone": "0415550123"},
        {"Email": None, "Phone": None},
        {"Email": "x@y.co", "Phone": "N/A"},
    ]
    assert table.blanked.get_column("Phone").to_list() == ["0415550123", None, None]
    assert table.source_rows == (2, 3, 4)
    assert table.non_data == {1: "an empty row"}


def test_semicolon_cp1252_with_title_row(tmp_path: Path) -> None:
    """A Windows-1252 semicolon file with a title row above the header is understood."""
    text = "Export 2024\r\nNom;Prénom;Société\r\nMüller;José;Acme\r\n"
    table = read_table(_write(tmp_path / "a.csv", text, "cp1252"))
    assert table.headers == ("Nom", "Prénom", "Société")
    assert table.header_row == 2
    assert table.delimiter == ";"
    assert table.frame.row(0) == ("Müller", "José", "Acme")


def test_xlsx_numbers_without_decimal_point(tmp_path: Path) -> None:
    """A phone stored as a number reads as the digits a person sees."""
    path = tmp_path / "a.xlsx"
    with xlsxwriter.Workbook(path) as wb:
        ws = wb.add_worksheet("Leads")
        ws.write_row(0, 0, ["Email", "Phone"])
        ws.write_row(1, 0, ["jane@acme.io", 14155550123])
    table = read_table(path)
    assert table.frame.row(0) == ("jane@acme.io", "14155550123")
    assert table.sheet == "Leads"
    assert table.source_rows == (2,)


def test_missing_sheet_lists_the_sheets(tmp_path: Path) -> None:
    """Asking for a sheet that is not there names the sheets that are."""
    path = tmp_path / "a.xlsx"
    with xlsxwriter.Workbook(path) as wb:
        wb.add_worksheet("Leads").write_row(0, 0, ["Email"])
    with pytest.raises(InputError, match="the sheets are 'Leads'"):
        read_table(path, sheet="Contacts")


def test_empty_file_is_refused(tmp_path: Path) -> None:
    """An empty file is an InputError naming the file."""
    path = _write(tmp_path / "empty.csv", "")
    with pytest.raises(InputError, match="empty.csv: the file is empty"):
        read_table(path)


def test_sheet_by_number(tmp_path: Path) -> None:
    """--sheet 2 picks the second sheet when no sheet is named "2"."""
    path = tmp_path / "a.xlsx"
    with xlsxwriter.Workbook(path) as wb:
        wb.add_worksheet("One").write_row(0, 0, ["Email"])
        two = wb.add_worksheet("Two")
        two.write_row(0, 0, ["Email"])
        two.write_row(1, 0, ["jane@acme.io"])
    assert read_table(path, sheet="2").sheet == "Two"
