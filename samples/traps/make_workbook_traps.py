"""The workbook traps of samples/traps/ (run through make_traps.py).

Text fidelity (numbers, leading zeros from number formats, dates as shown, cached formulas, a
hidden column), a header under a title and merged group headers, the sheet choice, and an .ods.
"""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from typing import Any

import xlsxwriter
from trap_files import expect, key, trap


def _book(build: Any) -> bytes:
    buffer = io.BytesIO()
    with xlsxwriter.Workbook(buffer, {"strings_to_urls": False}) as wb:
        wb.set_properties({"created": dt.datetime(2024, 1, 1)})
        build(wb)
    return buffer.getvalue()


def _numbers(wb: Any) -> None:
    ws = wb.add_worksheet("Leads")
    fmt = {k: wb.add_format({"num_format": v}) for k, v in {
        "zip5": "00000", "zip6": "000000", "dmy": "dd/mm/yyyy", "iso": "yyyy-mm-dd",
        "us_phone": "(000) 000-0000", "money": "#,##0.00", "long": "mmm d, yyyy",
    }.items()}  # fmt: skip
    ws.write_row(0, 0, ["Name", "Company", "Phone", "Zip", "Created", "Revenue", "Next",
                        "Score", "Email"])  # fmt: skip
    ws.write_row(1, 0, ["Jane Doe", "Acme"])
    ws.write_number(1, 2, 14155550123)
    ws.write_number(1, 3, 2134, fmt["zip5"])
    ws.write_datetime(1, 4, dt.datetime(2024, 3, 5), fmt["dmy"])
    ws.write_number(1, 5, 1234567.891, fmt["money"])
    ws.write_formula(1, 6, "=C2+1", None, 14155550124)
    ws.write_number(1, 7, 0.1 + 0.2)
    ws.write_string(1, 8, "jane@acme.io")
    ws.write_row(2, 0, ["John Roe", "Beta"])
    ws.write_number(2, 2, 4155550123, fmt["us_phone"])
    ws.write_number(2, 3, 501, fmt["zip6"])
    ws.write_datetime(2, 4, dt.datetime(2024, 12, 31), fmt["long"])
    ws.write_number(2, 5, 0, fmt["money"])
    ws.write_formula(2, 6, '="ID-"&D3', None, "ID-501")
    ws.write_number(2, 7, 42)
    ws.write_string(2, 8, "john@beta.io")
    ws.write_string(0, 9, "Active")
    ws.write_boolean(1, 9, True)
    ws.write_boolean(2, 9, False)
    ws.set_column(8, 8, None, None, {"hidden": True})


def _title_merged(wb: Any) -> None:
    ws = wb.add_worksheet("Export")
    bold = wb.add_format({"bold": True})
    ws.merge_range("A1:D1", "Q3 leads — confidential", bold)
    ws.merge_range("A3:B3", "Contact", bold)
    ws.merge_range("C3:D3", "Company", bold)
    ws.write_row(3, 0, ["First Name", "Last Name", "Company", "Website"], bold)
    ws.write_row(4, 0, ["Jane", "Doe", "Acme", "https://acme.io"])
    ws.write_row(5, 0, ["John", "Roe", "Beta", "beta.io"])


def _stray_cell(wb: Any) -> None:
    ws = wb.add_worksheet("Leads")
    ws.write_row(0, 0, ["Email", "Company"])
    ws.write_row(1, 0, ["jane@acme.io", "Acme"])
    ws.write_string(1048575, 16383, "x")


def _sheets(wb: Any) -> None:
    summary = wb.add_worksheet("Summary")
    summary.write_row(0, 0, ["Report", "Q3"])
    summary.write_row(1, 0, ["Total leads", 2])
    leads = wb.add_worksheet("Leads")
    leads.write_row(0, 0, ["Email", "Company"])
    leads.write_row(1, 0, ["jane@acme.io", "Acme"])
    leads.write_row(2, 0, ["john@beta.io", "Beta"])


def _entry(name: str) -> zipfile.ZipInfo:
    return zipfile.ZipInfo(name, date_time=(2024, 1, 1, 0, 0, 0))


def _ods() -> bytes:
    ns = (
        'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
        'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
        'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0"'
    )

    def cell(value: str | int | tuple[str, str, str], repeat: int = 1) -> str:
        rep = f' table:number-columns-repeated="{repeat}"' if repeat > 1 else ""
        if isinstance(value, tuple):  # (value-type, value attribute, shown text)
            kind, attr, shown = value
            return (f'<table:table-cell office:value-type="{kind}" {attr}{rep}>'
                    f"<text:p>{shown}</text:p></table:table-cell>")  # fmt: skip
        if isinstance(value, int):
            return cell(("float", f'office:value="{value}"', str(value)), repeat)
        text = f"<text:p>{value}</text:p>" if value else ""
        return f'<table:table-cell office:value-type="string"{rep}>{text}</table:table-cell>'

    empty = "<table:table-cell/>"
    gap = '<table:table-cell table:number-columns-repeated="2"/>'
    many = '<table:table-row table:number-rows-repeated="1048570">' + empty + "</table:table-row>"
    rows = [
        empty + cell("Leads from LibreOffice"),
        empty,
        empty + "".join(map(cell, ["Email", "Phone", "Zip", "Since", "Share"])),
        empty + "".join(map(cell, ["jane@acme.io", 14155550123])) + cell(
            ("float", 'office:value="2134"', "02134")) + cell(
            ("date", 'office:date-value="2024-03-05"', "05/03/2024")) + cell(
            ("percentage", 'office:value="0.125"', "12.5%")),
        empty + cell("john@beta.io") + gap + cell(
            ("float", 'office:value="7"', "007"), 2),
    ]  # fmt: skip
    body = "".join(f"<table:table-row>{r}</table:table-row>" for r in rows)
    body += many
    content = (
        f'<?xml version="1.0" encoding="UTF-8"?><office:document-content {ns} office:version="1.2">'
        f'<office:body><office:spreadsheet><table:table table:name="Leads">{body}</table:table>'
        "</office:spreadsheet></office:body></office:document-content>"
    )
    manifest = (
        '<?xml version="1.0" encoding="UTF-8"?><manifest:manifest '
        'xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" '
        'manifest:version="1.2">'
        '<manifest:file-entry manifest:full-path="/" '
        'manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/>'
        '<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/>'
        "</manifest:manifest>"
    )
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        z.writestr(_entry("mimetype"), "application/vnd.oasis.opendocument.spreadsheet")
        z.writestr(_entry("META-INF/manifest.xml"), manifest, zipfile.ZIP_DEFLATED)
        z.writestr(_entry("content.xml"), content, zipfile.ZIP_DEFLATED)
    return out.getvalue()


def _damage_ods(ods: bytes) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(ods)) as src, zipfile.ZipFile(out, "w") as dst:
        for info in src.infolist():
            data = src.read(info.filename)
            if info.filename == "content.xml":
                data = data.replace(b"</table:table>", b"<xtable:table>")
            dst.writestr(_entry(info.filename), data, zipfile.ZIP_DEFLATED)
    return out.getvalue()


def workbook_traps() -> None:
    """Write the workbook traps and their expectations."""
    trap("numbers", "xlsx", _book(_numbers), {
        "reason": "cells as a person sees them: numbers without .0, leading zeros from number "
                  "formats, dates as formatted, cached formula values, TRUE/FALSE; the hidden "
                  "Email is read",
        "kind": "person",
        "mapping": {"email": "Email", "full_name": "Name", "company_name": "Company",
                    "phone": "Phone"},
        "rows": [key(2, "email:jane@acme.io"), key(3, "email:john@beta.io")],
        "cells": {"Phone": ["14155550123", "(415) 555-0123"], "Zip": ["02134", "000501"],
                  "Created": ["05/03/2024", "Dec 31, 2024"], "Revenue": ["1,234,567.89", "0.00"],
                  "Next": ["14155550124", "ID-501"], "Score": ["0.3", "42"],
                  "Active": ["TRUE", "FALSE"]},
    })  # fmt: skip
    trap("title_merged", "xlsx", _book(_title_merged), {
        "reason": "a title row and merged group headers above the real header row",
        "header_row": 4, "headers": ["First Name", "Last Name", "Company", "Website"],
        "kind": "person",
        "mapping": {"first_name": "First Name", "last_name": "Last Name",
                    "company_name": "Company", "website": "Website"},
        "rows": [key(5, "name:jane|doe|acme.io"), key(6, "name:john|roe|beta.io")],
    })  # fmt: skip
    trap("sheets", "xlsx", _book(_sheets), {
        "reason": "no --sheet: the first sheet whose columns map to identifiers (not 'Summary')",
        "sheet_read": "Leads", "kind": "person",
        "mapping": {"email": "Email", "company_name": "Company"},
        "rows": [key(2, "email:jane@acme.io"), key(3, "email:john@beta.io")],
    })  # fmt: skip
    trap("stray_cell", "xlsx", _book(_stray_cell), {
        "reason": "one stray value in the sheet's last cell (XFD1048576): refused before calamine "
                  "would allocate 17 billion cells and abort",
        "error": "sheet 'Leads' has values spread over 1,048,576 rows x 16,384 columns",
    })  # fmt: skip
    expect("sheets_missing", {
        "file": "sheets.xlsx", "reason": "--sheet names a sheet that is not there",
        "sheet": "Contacts",
        "error": "no sheet named 'Contacts'; the sheets are 'Summary', 'Leads'; use --sheet NAME",
    })  # fmt: skip
    expect("sheets_summary", {
        "file": "sheets.xlsx", "reason": "--sheet Summary: a sheet without identifiers",
        "sheet": "Summary", "error": "no column holds an email",
    })  # fmt: skip
    trap("macro_enabled", "xlsm", _book(_title_merged), {
        "reason": "a macro-enabled workbook is read like .xlsx (macros are never run)",
        "header_row": 4, "kind": "person",
        "rows": [key(5, "name:jane|doe|acme.io"), key(6, "name:john|roe|beta.io")],
    })  # fmt: skip
    trap("broken_ods", "ods", _damage_ods(_ods()), {
        "reason": "an .ods whose XML lost a closing tag: refused (calamine would loop forever)",
        "error": "the spreadsheet is damaged (its XML is broken)",
    })  # fmt: skip
    trap("libreoffice", "ods", _ods(), {
        "reason": "an OpenDocument spreadsheet under a title, from column B: numbers, leading "
                  "zeros, dates and percentages as shown; repeated cells and rows not expanded",
        "header_row": 3, "kind": "person", "mapping": {"email": "Email", "phone": "Phone"},
        "rows": [key(4, "email:jane@acme.io"), key(5, "email:john@beta.io")],
        "cells": {"Phone": ["14155550123", None], "Zip": ["02134", None],
                  "Since": ["05/03/2024", "007"], "Share": ["12.5%", "007"]},
    })  # fmt: skip


def xls_trap() -> None:
    """An Excel 97-2003 .xls (needs xlwt, a generator-only tool: pip install --target DIR xlwt
    and put DIR on PYTHONPATH; without it the committed file is kept)."""
    try:
        import xlwt  # type: ignore[import-not-found]
    except ImportError:
        print("xlwt not installed: legacy.xls kept as committed")
        return
    book = xlwt.Workbook()
    sheet = book.add_sheet("Leads")
    date = xlwt.easyxf(num_format_str="YYYY-MM-DD")
    for c, header in enumerate(["Email", "Company", "Phone", "Created"]):
        sheet.write(0, c, header)
    sheet.write(1, 0, "jane@acme.io")
    sheet.write(1, 1, "Acme")
    sheet.write(1, 2, 14155550123)
    sheet.write(1, 3, dt.datetime(2024, 3, 5), date)
    buffer = io.BytesIO()
    book.save(buffer)
    trap("legacy", "xls", buffer.getvalue(), {
        "reason": "an Excel 97-2003 workbook: numbers without .0, dates without a time",
        "kind": "person", "mapping": {"email": "Email", "company_name": "Company",
                                      "phone": "Phone"},
        "rows": [key(2, "email:jane@acme.io")],
        "cells": {"Phone": ["14155550123"], "Created": ["2024-03-05"]},
    })  # fmt: skip
