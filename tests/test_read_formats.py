"""Excel number formats rendered as Excel shows them, and applied to the right cells."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
import xlsxwriter
from hypothesis import given
from hypothesis import strategies as st

from csv_enrich.read import read_table
from csv_enrich.read.numfmt import render


@pytest.mark.parametrize(
    ("raw", "code", "shown"),
    [
        ("2134", "00000", "02134"), ("2134", "000000", "002134"), ("7", "000", "007"),
        ("4155550123", "(000) 000-0000", "(415) 555-0123"),
        ("123456789", "000-00-0000", "123-45-6789"),
        ("1234", '"ID-"0000', "ID-1234"), ("1234567.891", "#,##0.00", "1,234,567.89"),
        ("1234567", "#,##0", "1,234,567"), ("0.125", "0.00%", "12.50%"), ("0.5", "0%", "50%"),
        ("3.5", "0.00", "3.50"), ("-5", "#,##0 ;(#,##0)", "(5)"), ("-5", "0", "-5"),
        ("14155550123", "0", "14155550123"), ("7", "[Red]0.0", "7.0"),
        ("45356", "m/d/yyyy", "3/5/2024"), ("45356", "dd/mm/yyyy", "05/03/2024"),
        ("45356", "d.m.yy", "5.3.24"), ("45356", "mmm d, yyyy", "Mar 5, 2024"),
        ("45356", "[$-409]mmmm d, yyyy;@", "March 5, 2024"), ("45356", "dddd", "Tuesday"),
        ("45356.75", "yyyy-mm-dd hh:mm:ss", "2024-03-05 18:00:00"),
        ("45356.75", "h:mm AM/PM", "6:00 PM"), ("0.5", "hh:mm", "12:00"),
        ("1.5", "0.00E+00", "1.50E+00"), ("1.5E20", "0.00E+00", "1.50E+20"),
        ("0.00012", "0.0E+00", "1.2E-04"), ("12345", "##0.0E+0", "12.3E+3"),
        ("0.5", "# ?/?", "1/2"), ("1.25", "# ??/??", "1 1/4"), ("0.375", "# ?/8", "3/8"),
        ("2", "# ?/?", "2"), ("-0.5", "# ?/?", "-1/2"),
        ("1234567.5", "#,##0.00 [$€-407]", "1,234,567.50 €"),
        ("1234.5", "[$USD] #,##0.00", "USD 1,234.50"), ("1234.5", "[$-409]#,##0.00", "1,234.50"),
        ("abc", "0", None),
    ],
)  # fmt: skip
def test_render(raw: str, code: str, shown: str | None) -> None:
    """Each format gives the text Excel shows, or None where calamine's text is kept."""
    assert render(raw, code) == shown


@given(st.integers(0, 10**9), st.integers(1, 12))
def test_zero_padding_keeps_every_digit(number: int, width: int) -> None:
    """A zero-padded format shows the number's digits with leading zeros up to its width."""
    assert render(str(number), "0" * width) == str(number).zfill(width)


def test_formats_land_on_the_right_cells(tmp_path: Path) -> None:
    """A sheet that starts in column C under a title gets its formats on the right cells."""
    path = tmp_path / "offset.xlsx"
    with xlsxwriter.Workbook(path) as wb:
        ws = wb.add_worksheet("Leads")
        zip5 = wb.add_format({"num_format": "00000"})
        builtin_date = wb.add_format({"num_format": 14})
        ws.write_string(0, 3, "Leads export")
        ws.write_row(2, 2, ["Email", "Zip", "Since", "Plain"])
        ws.write_row(3, 2, ["jane@acme.io"])
        ws.write_number(3, 3, 501, zip5)
        ws.write_datetime(3, 4, dt.datetime(2023, 11, 9), builtin_date)
        ws.write_number(3, 5, 501)
    table = read_table(path)
    assert table.header_row == 3
    assert table.source_rows == (4,)
    assert table.frame.row(0) == ("jane@acme.io", "00501", "11/9/2023", "501")


def test_only_the_chosen_sheet_is_formatted(tmp_path: Path) -> None:
    """Formats are read from the sheet that was read, not from the first sheet."""
    path = tmp_path / "two.xlsx"
    with xlsxwriter.Workbook(path) as wb:
        zip5 = wb.add_format({"num_format": "00000"})
        first = wb.add_worksheet("First")
        first.write_row(0, 0, ["Email", "Zip"])
        first.write_row(1, 0, ["a@b.co"])
        first.write_number(1, 1, 1)
        second = wb.add_worksheet("Second")
        second.write_row(0, 0, ["Email", "Zip"])
        second.write_row(1, 0, ["c@d.co"])
        second.write_number(1, 1, 2, zip5)
    assert read_table(path, sheet="First").frame.row(0) == ("a@b.co", "1")
    assert read_table(path, sheet="second").frame.row(0) == ("c@d.co", "00002")


def test_attribute_order_does_not_matter(tmp_path: Path) -> None:
    """Formats and booleans are found whatever order a writer puts a cell's attributes in."""
    import io
    import re
    import zipfile

    path = tmp_path / "a.xlsx"
    with xlsxwriter.Workbook(path) as wb:
        ws = wb.add_worksheet("Leads")
        ws.write_row(0, 0, ["Email", "Zip", "Active"])
        ws.write_string(1, 0, "jane@acme.io")
        ws.write_number(1, 1, 501, wb.add_format({"num_format": "00000"}))
        ws.write_boolean(1, 2, True)
    out = io.BytesIO()
    with zipfile.ZipFile(path) as src, zipfile.ZipFile(out, "w") as dst:
        for name in src.namelist():
            data = src.read(name)
            if name == "xl/worksheets/sheet1.xml":
                data = re.sub(rb'<c r="(\w+)"((?: \w+="[^"]*")*)', rb'<c\2 r="\1"', data)
            dst.writestr(name, data)
    path.write_bytes(out.getvalue())
    assert b'<c s="' in zipfile.ZipFile(path).read("xl/worksheets/sheet1.xml")
    assert read_table(path).frame.row(0) == ("jane@acme.io", "00501", "TRUE")


def test_errors_and_long_numbers_read_as_excel_shows_them(tmp_path: Path) -> None:
    """An error cell reads as its error text; a number past 15 digits as General shows it."""
    path = tmp_path / "a.xlsx"
    with xlsxwriter.Workbook(path) as wb:
        ws = wb.add_worksheet()
        ws.write_row(0, 0, ["Email", "Big", "Err", "Frac", "Eur", "Phone"])
        ws.write(1, 0, "a@b.co")
        ws.write_number(1, 1, 1.5e20)
        ws.write_formula(1, 2, "=1/0", None, "#DIV/0!")
        ws.write_number(1, 3, 0.5, wb.add_format({"num_format": "# ?/?"}))
        ws.write_number(1, 4, 1234567.5, wb.add_format({"num_format": "#,##0.00 [$€-407]"}))
        ws.write_number(1, 5, 14155550123)
    table = read_table(path)
    assert table.frame.row(0) == (
        "a@b.co", "1.5E+20", "#DIV/0!", "1/2", "1,234,567.50 €", "14155550123"
    )  # fmt: skip
    assert table.blanked.row(0)[2] is None
