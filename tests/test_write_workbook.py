"""Issue 11: XLSX/XLSM in, the same workbook out. The output is the input's zip with columns
added to one sheet: every part not changed is byte for byte the input's, every input cell of the
enriched sheet is byte for byte the input's cell, and what openpyxl reads back (value, type,
number format, link) equals the input's."""

from __future__ import annotations

import re
import struct
import zipfile
import zlib
from datetime import date, datetime
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from csv_enrich.errors import InputError
from csv_enrich.models import PERSON_COLUMNS, Outcome
from csv_enrich.output import xlsx_rows
from csv_enrich.output.write import write_output
from csv_enrich.read import read_table

CHANGED = {"xl/worksheets/sheet2.xml", "xl/styles.xml", "xl/workbook.xml",
           "xl/_rels/workbook.xml.rels", "[Content_Types].xml",
           "xl/worksheets/_rels/sheet2.xml.rels"}  # fmt: skip


def png() -> bytes:
    """A 1x1 red PNG."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    pixels = zlib.compress(b"\x00\xff\x00\x00")
    body = chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")
    return b"\x89PNG\r\n\x1a\n" + body


def rich_workbook(path: Path, *, vba: Path | None = None) -> None:
    """A workbook as Excel users keep them: a Notes sheet with a chart and an image, and a Leads
    sheet with a title row, typed cells, formulas with cached values, a link, a comment, data
    validation, a conditional format, a merge and a defined name."""
    import xlsxwriter

    book = xlsxwriter.Workbook(str(path), {"strings_to_urls": False})
    notes = book.add_worksheet("Notes")
    notes.write_row(0, 0, ["Month", "Leads"])
    notes.write_column(1, 0, ["Jan", "Feb"])
    notes.write_column(1, 1, [10, 20])
    chart = book.add_chart({"type": "column"})
    chart.add_series({"categories": "=Notes!$A$2:$A$3", "values": "=Notes!$B$2:$B$3"})
    notes.insert_chart("D2", chart)
    image = path.with_name("dot.png")
    image.write_bytes(png())
    notes.insert_image("D20", str(image))
    leads = book.add_worksheet("Leads")
    money = book.add_format({"num_format": '"$"#,##0.00'})
    day = book.add_format({"num_format": "yyyy-mm-dd"})
    stamp = book.add_format({"num_format": "dd/mm/yyyy hh:mm"})
    zip_code = book.add_format({"num_format": "00000"})
    leads.merge_range("A1:C1", "Leads report, Q3", book.add_format({"bold": True}))
    leads.write_row(2, 0, ["Email", "Deal", "Signed", "Seen", "Active", "Double", "Zip", "Site"])
    for r, (email, deal, active) in enumerate(
        [("jane@acme.io", 1250.5, True), ("bob@example.com", 99, False)], start=3
    ):
        leads.write_string(r, 0, email)
        leads.write_number(r, 1, deal, money)
        leads.write_datetime(r, 2, date(2026, 3, r), day)
        leads.write_datetime(r, 3, datetime(2026, 3, r, 9, 30), stamp)
        leads.write_boolean(r, 4, active)
        leads.write_formula(r, 5, f"=B{r + 1}*2", money, deal * 2)
        leads.write_number(r, 6, 2134, zip_code)
        leads.write_url(r, 7, f"https://site{r}.example", string=f"site {r}")
    leads.write_comment("A4", "Met at the fair")
    leads.data_validation("E4:E5", {"validate": "list", "source": ["TRUE", "FALSE"]})
    leads.conditional_format("B4:B5", {"type": "cell", "criteria": ">", "value": 100,
                                       "format": book.add_format({"bg_color": "#FFEB9C"})})
    book.define_name("Deals", "=Leads!$B$4:$B$5")
    leads.activate()
    if vba is not None:
        book.add_vba_project(str(vba))
    book.close()


def outcomes() -> list[Outcome]:
    found = {"email": "jane.doe@acme.io", "linkedin_url": "https://www.linkedin.com/in/jane",
             "title": "=CMD()"}  # fmt: skip
    return [Outcome("email:jane@acme.io", "enriched", credits=1, data=found),
            Outcome("email:bob@example.com", "not_found")]  # fmt: skip


def enrich(source: Path, out: Path, **kwargs: Any) -> list[str]:
    table = read_table(source, sheet="Leads")
    assert table.header_row == 3
    return write_output(table, "person", outcomes(), out, **kwargs)


def members(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as archive:
        return {n: archive.read(n) for n in archive.namelist()}


def cells(path: Path, sheet: str, *, data_only: bool = False) -> dict[str, tuple[Any, ...]]:
    ws = openpyxl.load_workbook(path, data_only=data_only)[sheet]
    return {
        c.coordinate: (c.value, c.data_type, c.number_format,
                       c.hyperlink.target if c.hyperlink else None)
        for row in ws.iter_rows() for c in row if c.value is not None
    }  # fmt: skip


def test_parts_not_changed_are_byte_for_byte_the_inputs(tmp_path: Path) -> None:
    """Charts, images, drawings, comments, theme, shared strings...: every part but the enriched
    sheet, its relationships, the styles and the workbook's sheet list is the input's, byte for
    byte; nothing of the input is missing."""
    rich_workbook(tmp_path / "in.xlsx")
    notes = enrich(tmp_path / "in.xlsx", tmp_path / "out.xlsx")
    assert notes == []
    before, after = members(tmp_path / "in.xlsx"), members(tmp_path / "out.xlsx")
    assert set(before) <= set(after)
    assert any(n.startswith("xl/charts/") for n in before)
    assert any(n.startswith("xl/media/") for n in before)
    assert any(n.startswith("xl/comments") for n in before)
    same = {n for n in before if n not in CHANGED}
    assert {n for n in same if before[n] != after[n]} == set()
    assert "xl/worksheets/sheet2.xml" in before  # the enriched sheet is the one in CHANGED


def test_every_input_cell_of_the_enriched_sheet_is_kept_verbatim(tmp_path: Path) -> None:
    """Each <c> element of the input's Leads sheet appears unchanged in the output's."""
    rich_workbook(tmp_path / "in.xlsx")
    enrich(tmp_path / "in.xlsx", tmp_path / "out.xlsx")
    cell = re.compile(rb"<c\b(?:[^>]*?/>|.*?</c>)", re.S)
    before = members(tmp_path / "in.xlsx")["xl/worksheets/sheet2.xml"]
    after = members(tmp_path / "out.xlsx")["xl/worksheets/sheet2.xml"]
    kept = cell.findall(before)
    assert len(kept) > 20
    assert [c for c in kept if c not in after] == []
    tail = re.compile(rb"<(?:mergeCell|dataValidation|conditionalFormatting)\b[^>]*>")
    assert tail.findall(before) == tail.findall(after)


def test_cells_come_back_with_value_type_format_and_link(tmp_path: Path) -> None:
    """Numbers and currency as numbers with their format, dates and datetimes as dates with
    theirs, booleans as booleans, formulas as formulas (their cached values too), the ZIP with
    its 00000 format, links with their targets; the new cells follow, API text as text."""
    rich_workbook(tmp_path / "in.xlsx")
    enrich(tmp_path / "in.xlsx", tmp_path / "out.xlsx")
    before, after = cells(tmp_path / "in.xlsx", "Leads"), cells(tmp_path / "out.xlsx", "Leads")
    assert {k: v for k, v in after.items() if k in before} == before
    assert after["B4"] == (1250.5, "n", '"$"#,##0.00', None)
    assert after["C4"][1:3] == ("d", "yyyy-mm-dd")
    assert after["D4"] == (datetime(2026, 3, 3, 9, 30), "d", "dd/mm/yyyy hh:mm", None)
    assert after["E4"][:2] == (True, "b")
    assert after["F4"][:2] == ("=B4*2", "f")
    assert after["G4"] == (2134, "n", "00000", None)
    assert after["H4"] == ("site 3", "s", "General", "https://site3.example")
    cached = cells(tmp_path / "out.xlsx", "Leads", data_only=True)
    assert cached["F4"][0] == 2501
    header = [after[f"{letter}3"][0] for letter in "IJKLMNOPQR"]
    assert header == list(PERSON_COLUMNS)
    assert after["I4"] == ("jane.doe@acme.io", "s", "@", "mailto:jane.doe@acme.io")
    assert after["N4"] == ("=CMD()", "s", "@", None)
    assert after["R4"][:2] == (1, "n")
    book = openpyxl.load_workbook(tmp_path / "out.xlsx")
    assert book.sheetnames == ["Notes", "Leads"]
    assert book.defined_names["Deals"].attr_text == "Leads!$B$4:$B$5"
    assert [str(r) for r in book["Leads"].merged_cells.ranges] == ["A1:C1"]
    assert book["Leads"]["A1"].value == "Leads report, Q3"


def test_formula_without_a_cached_value_stays_a_formula(tmp_path: Path) -> None:
    """A workbook written by a script (openpyxl) saves formulas without values: the output keeps
    the formula, not an empty cell."""
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "Leads"
    sheet.append(["Email", "Score", "Double"])
    sheet.append(["jane@acme.io", 4, "=B2*2"])
    sheet.append(["bob@example.com", 5, "=B3*2"])
    book.save(tmp_path / "in.xlsx")
    table = read_table(tmp_path / "in.xlsx")
    write_output(table, "person", outcomes(), tmp_path / "out.xlsx")
    out = openpyxl.load_workbook(tmp_path / "out.xlsx")["Leads"]
    assert (out["C2"].value, out["C2"].data_type) == ("=B2*2", "f")
    assert (out["B3"].value, out["B3"].data_type) == (5, "n")


def test_xlsm_macros_come_back_in_an_xlsm(tmp_path: Path) -> None:
    """An .xlsm input written to .xlsm keeps its VBA project byte for byte and its macro-enabled
    content type."""
    vba = tmp_path / "vbaProject.bin"
    vba.write_bytes(b"\xd0\xcf\x11\xe0 not really VBA, but bytes to keep" * 20)
    rich_workbook(tmp_path / "in.xlsm", vba=vba)
    notes = enrich(tmp_path / "in.xlsm", tmp_path / "out.xlsm")
    assert notes == []
    after = members(tmp_path / "out.xlsm")
    assert after["xl/vbaProject.bin"] == vba.read_bytes()
    assert b"macroEnabled" in after["[Content_Types].xml"]


def test_summary_sheet_is_added_last(tmp_path: Path) -> None:
    """With a report, a Summary sheet comes last, in words and numbers; the rest as it was."""
    from tests.test_write_xlsx import a_report

    rich_workbook(tmp_path / "in.xlsx")
    table = read_table(tmp_path / "in.xlsx", sheet="Leads")
    write_output(table, "person", outcomes(), tmp_path / "out.xlsx",
                 report=a_report(tmp_path, table))  # fmt: skip
    book = openpyxl.load_workbook(tmp_path / "out.xlsx")
    assert book.sheetnames == ["Notes", "Leads", "Summary"]
    labels = [c.value for c in book["Summary"]["A"] if c.value]
    assert labels[0] == "In short"
    assert "Charged (settled by the API)" in labels


def test_a_hostile_workbook_is_not_copied(tmp_path: Path) -> None:
    """The copy reuses the reader's guards: a part declaring entities is refused (the writer
    falls back to a rebuilt copy and says why)."""
    from csv_enrich.output.xlsx_patch import patch_workbook

    rich_workbook(tmp_path / "in.xlsx")
    table = read_table(tmp_path / "in.xlsx", sheet="Leads")
    parts = members(tmp_path / "in.xlsx")
    parts["xl/styles.xml"] = b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "b">]>' + parts[
        "xl/styles.xml"
    ].split(b"?>", 1)[1]
    with zipfile.ZipFile(tmp_path / "in.xlsx", "w") as archive:
        for name, data in parts.items():
            archive.writestr(name, data)
    with pytest.raises(InputError, match="entit"):
        patch_workbook(table, None, tmp_path / "x.xlsx", None, "Summary", None)  # type: ignore[arg-type]
    notes = write_output(table, "person", outcomes(), tmp_path / "out.xlsx")
    assert any("rebuilt copy" in n for n in notes)


ROWS_XML = (
    b'<worksheet xmlns="m"><sheetViews/><sheetData>'
    b'<row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1"><f>1+1</f><v>2</v></c></row>'
    b"<!-- a comment --><row r=\"2\" spans=\"1:2\"/>"
    b'<row r="3"><c r="A3" t="inlineStr"><is><t>a&lt;b</t></is></c><c r="D3" s="1"/></row>'
    b"</sheetData><mergeCells/></worksheet>"
)


@settings(max_examples=60, deadline=None)
@given(st.integers(min_value=1, max_value=64))
def test_sheet_parts_do_not_depend_on_the_chunk_size(chunk: int) -> None:
    """However the stream is cut, the parts are the same and join back to the input."""
    import io

    whole = list(xlsx_rows.sheet_parts(io.BytesIO(ROWS_XML)))
    old = xlsx_rows.CHUNK
    xlsx_rows.CHUNK = chunk
    try:
        parts = list(xlsx_rows.sheet_parts(io.BytesIO(ROWS_XML)))
    finally:
        xlsx_rows.CHUNK = old
    assert parts == whole
    assert b"".join(p for _, p in parts) == ROWS_XML
    assert [k for k, _ in parts] == ["head", "row", "other", "row", "row", "tail"]


def test_new_cells_go_in_column_order() -> None:
    """New cells land after the input's cells holding values and before cells right of them;
    a styled blank in their way gives way; the spans hint is dropped."""
    row = b'<row r="3" spans="1:4"><c r="A3"><v>1</v></c><c r="C3" s="2"/><c r="F3" s="1"/></row>'
    new = [b'<c r="B3"><v>7</v></c>', b'<c r="C3"><v>8</v></c>']
    assert xlsx_rows.add_cells(row, new, 1, 2) == (
        b'<row r="3"><c r="A3"><v>1</v></c><c r="B3"><v>7</v></c><c r="C3"><v>8</v></c>'
        b'<c r="F3" s="1"/></row>'
    )
    empty = xlsx_rows.add_cells(b'<row r="9"/>', new, 1, 2)
    assert empty == b'<row r="9">' + b"".join(new) + b"</row>"


@given(st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=40))
def test_text_cells_are_well_formed(text: str) -> None:
    """Any API text makes a cell XML parser accepts (markup escaped, characters XML cannot hold
    written as _xHHHH_)."""
    from defusedxml.ElementTree import fromstring

    cell = xlsx_rows.text_cell("", "A1", text, 3)
    node = fromstring(cell)
    assert node.get("t") == "inlineStr"
    shown = node.find("is/t").text or ""
    assert re.sub(r"_x([0-9A-F]{4})_", lambda m: chr(int(m.group(1), 16)), shown) == text


# -- CSV in, XLSX out: numbers only where Excel shows them unchanged ------------------------------


def test_csv_plain_number_columns_become_numbers_and_the_rest_stays_text(tmp_path: Path) -> None:
    """Score (plain numbers) and Employees (one empty) become number cells and a note names
    them; leading zeros, + phones, long IDs, dates written as text, 1.50, thousands separators
    and a column mixing numbers and text stay text."""
    src = tmp_path / "in.csv"
    src.write_text(
        "Email,Score,Employees,Zip,Phone,ID,Signed,Price,Revenue,Mixed\n"
        "jane@acme.io,12,250,02134,+14155550123,123456789012345,2024-01-05,1.50,\"1,200\",7\n"
        "bob@example.com,-3.25,,94105,+442079460958,9,05/01/2024,2,300,n/a\n",
        encoding="utf-8",
    )
    table = read_table(src)
    notes = write_output(table, "person", outcomes(), tmp_path / "out.xlsx")
    sheet = openpyxl.load_workbook(tmp_path / "out.xlsx").worksheets[0]
    row2 = {sheet.cell(1, c).value: sheet.cell(2, c) for c in range(1, 11)}
    row3 = {sheet.cell(1, c).value: sheet.cell(3, c) for c in range(1, 11)}
    assert (row2["Score"].value, row2["Score"].data_type) == (12, "n")
    assert (row3["Score"].value, row3["Score"].data_type) == (-3.25, "n")
    assert (row2["Employees"].value, row3["Employees"].value) == (250, None)
    for name in ("Zip", "Phone", "ID", "Signed", "Price", "Revenue", "Mixed"):
        assert row2[name].data_type == "s", name
    assert (row2["Zip"].value, row2["Price"].value, row2["Mixed"].value) == ("02134", "1.50", "7")
    assert any("'Score', 'Employees'" in n and "numbers" in n for n in notes)


def test_a_report_footer_does_not_make_a_number_column_text(tmp_path: Path) -> None:
    """QA: Record ID held 101, 102 but the footer ('Grand Totals', 'Confidential') sat in its
    column, so it came back as text with no note; the footer rows are not data and do not count,
    and they come back as the text they are."""
    src = tmp_path / "in.csv"
    src.write_text(
        "Record ID,Email\n101,jane@acme.io\n102,bob@example.com\n\n"
        "Grand Totals (2 records),\nConfidential Information - Do Not Distribute,\n",
        encoding="utf-8",
    )
    table = read_table(src)
    assert table.non_data, "the footer is read as rows that are not data"
    rows = outcomes() + [Outcome("", "skipped")] * (table.frame.height - 2)
    notes = write_output(table, "person", rows, tmp_path / "out.xlsx")
    sheet = openpyxl.load_workbook(tmp_path / "out.xlsx").worksheets[0]
    column = [sheet.cell(r, 1) for r in range(2, sheet.max_row + 1)]
    assert [(c.value, c.data_type) for c in column[:2]] == [(101, "n"), (102, "n")]
    assert ("Grand Totals (2 records)", "s") in [(c.value, c.data_type) for c in column]
    assert any("'Record ID'" in n and "numbers" in n for n in notes)


def test_xlsx_from_a_csv_of_text_only_has_no_numbers_note(tmp_path: Path) -> None:
    src = tmp_path / "in.csv"
    src.write_text("Email,Zip\njane@acme.io,02134\nbob@example.com,94105\n", encoding="utf-8")
    notes = write_output(read_table(src), "person", outcomes(), tmp_path / "out.xlsx")
    assert not any("numbers" in n for n in notes)


@given(st.one_of(st.integers(min_value=-(10**12), max_value=10**12),
                 st.floats(allow_nan=False, allow_infinity=False, width=32)))  # fmt: skip
def test_a_plain_number_reads_back_as_the_same_text(number: float) -> None:
    """Whatever the rule accepts, the number it stands for is shown with the very same text
    (General: the shortest form, at most 11 characters); so Excel changes nothing."""
    from csv_enrich.output.xlsx_numbers import as_number, is_plain_number

    for text in (str(number), repr(number), f"{number:.4f}".rstrip("0")):
        if is_plain_number(text):
            value = as_number(text)
            shown = str(value) if isinstance(value, int) else repr(value)
            assert shown == text
            assert len(text) <= 11


@given(st.text(alphabet="0123456789-+.,eE $%/ ", max_size=14))
def test_the_rule_refuses_what_excel_would_change(text: str) -> None:
    """Leading zeros, a plus sign, trailing decimal zeros, separators, exponents, spaces and
    more than 11 characters are never accepted."""
    from csv_enrich.output.xlsx_numbers import is_plain_number

    if is_plain_number(text):
        assert text == "0" or not text.lstrip("-").startswith("0") or text.lstrip("-")[1] == "."
        assert not set(text) & set("+,eE $%/ ")
        assert len(text) <= 11
        assert "." not in text or not text.endswith("0")
        assert text != "-0"


def test_a_sheet_written_with_a_namespace_prefix(tmp_path: Path) -> None:
    """Sheets saved by the Open XML SDK name every element with a prefix (<x:row>); the new
    cells, widths and links carry the same prefix, and the workbook opens."""
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "Leads"
    sheet.append(["Email", "Score"])
    sheet.append(["jane@acme.io", 3])
    sheet.append(["bob@example.com", 4])
    book.save(tmp_path / "plain.xlsx")
    parts = members(tmp_path / "plain.xlsx")
    xml = parts["xl/worksheets/sheet1.xml"].decode()
    xml = re.sub(r"<(/?)(?!\?)(\w+)", r"<\1x:\2", xml)
    xml = xml.replace("<x:worksheet xmlns=", "<x:worksheet xmlns:x=")
    parts["xl/worksheets/sheet1.xml"] = xml.encode()
    with zipfile.ZipFile(tmp_path / "in.xlsx", "w") as archive:
        for name, data in parts.items():
            archive.writestr(name, data)
    table = read_table(tmp_path / "in.xlsx")
    assert table.headers == ("Email", "Score")
    notes = write_output(table, "person", outcomes(), tmp_path / "out.xlsx")
    assert not any("rebuilt" in n for n in notes)
    out = members(tmp_path / "out.xlsx")["xl/worksheets/sheet1.xml"]
    assert b'<x:c r="C1" s="' in out
    assert b"<x:hyperlinks>" in out
    assert b"<x:cols>" in out
    again = read_table(tmp_path / "out.xlsx")
    assert again.headers[:3] == ("Email", "Score", "enriched_email")
    assert again.frame.row(0)[:3] == ("jane@acme.io", "3", "jane.doe@acme.io")


def _ods_with_empty_rows(path: Path) -> None:
    """An .ods sheet: a header, one contact, two empty rows (repeated), another contact."""
    import zipfile

    def cell(text: str) -> str:
        return (f'<table:table-cell office:value-type="string"><text:p>{text}</text:p>'
                "</table:table-cell>")

    def row(*texts: str) -> str:
        return "<table:table-row>" + "".join(cell(t) for t in texts) + "</table:table-row>"

    content = (
        '<?xml version="1.0" encoding="UTF-8"?><office:document-content '
        'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
        'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
        'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.2">'
        '<office:body><office:spreadsheet><table:table table:name="Kontakte">'
        + row("Email", "Vorname") + row("joerg@firma.de", "Jörg")
        + '<table:table-row table:number-rows-repeated="2">'
        '<table:table-cell table:number-columns-repeated="2"/></table:table-row>'
        + row("anais@firma.fr", "Anaïs")
        + "</table:table></office:spreadsheet></office:body></office:document-content>"
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
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet")
        archive.writestr("content.xml", content, compress_type=zipfile.ZIP_DEFLATED)
        archive.writestr("META-INF/manifest.xml", manifest, compress_type=zipfile.ZIP_DEFLATED)


def test_ods_rows_stay_on_their_sheet_rows(tmp_path: Path) -> None:
    """QA: an .ods with two empty rows between its contacts came back as XLSX with the second
    contact moved up to row 3; every row now stays on the row it was on (row 5)."""
    src = tmp_path / "kontakte.ods"
    _ods_with_empty_rows(src)
    table = read_table(src)
    assert table.source_rows == (2, 5)
    write_output(table, "person", outcomes(), tmp_path / "out.xlsx")
    sheet = openpyxl.load_workbook(tmp_path / "out.xlsx").worksheets[0]
    shown = [[sheet.cell(r, c).value for c in (1, 2)] for r in range(1, 6)]
    assert shown == [["Email", "Vorname"], ["joerg@firma.de", "Jörg"], [None, None],
                     [None, None], ["anais@firma.fr", "Anaïs"]]


def test_ods_cells_come_back_typed_where_the_file_knows_the_type(tmp_path: Path) -> None:
    """An .ods input written as XLSX: number, percentage and date cells become numbers in a
    format that shows the very text the .ods showed (02134 with 00000, 12.5% with 0.0%,
    05/03/2024 with dd/mm/yyyy); text stays text."""
    traps = Path(__file__).resolve().parents[1] / "samples" / "traps"
    table = read_table(traps / "libreoffice.ods")
    assert table.frame.row(0) == ("jane@acme.io", "14155550123", "02134", "05/03/2024", "12.5%")
    rows = [Outcome("a", "not_found")] * table.frame.height
    write_output(table, "person", rows, tmp_path / "out.xlsx")
    sheet = openpyxl.load_workbook(tmp_path / "out.xlsx").worksheets[0]
    got = [(c.value, c.data_type, c.number_format) for c in sheet[4][:5]]
    assert got == [
        ("jane@acme.io", "s", "@"),
        (14155550123, "n", "General"),
        (2134, "n", "00000"),
        (datetime(2024, 3, 5), "d", "dd/mm/yyyy"),
        (0.125, "n", "0.0%"),
    ]
    assert [c.value for c in sheet[1][:1]] == ["Leads from LibreOffice"]


@given(st.floats(min_value=-1e9, max_value=1e9, allow_nan=False), st.sampled_from(
    ["0", "0.00", "#,##0.00", "0%", "0.0%", "00000", "yyyy-mm-dd", "dd/mm/yyyy"]))  # fmt: skip
def test_a_typed_number_never_changes_what_is_shown(number: float, code: str) -> None:
    """Whatever format the .ods used, the XLSX cell either shows the same text (the format
    chosen renders it so) or stays that text: the shown text is never altered."""
    from csv_enrich.output.xlsx_numbers import is_plain_number
    from csv_enrich.output.xlsx_typed import _typed
    from csv_enrich.read.numfmt import render

    shown = render(repr(number), code)
    if shown is None:
        return
    typed = _typed("float", repr(number), shown)
    if typed is not None:
        assert isinstance(typed.value, float)
        if typed.num_format is None:
            assert is_plain_number(shown)
        else:
            assert render(repr(typed.value), typed.num_format) == shown


def test_xls_cells_come_back_typed_where_calamine_knows_the_type(tmp_path: Path) -> None:
    """An .xls input written as XLSX: a number column as numbers, a date column as dates in a
    format showing what the reader showed; text stays text."""
    traps = Path(__file__).resolve().parents[1] / "samples" / "traps"
    table = read_table(traps / "legacy.xls")
    assert table.frame.row(0) == ("jane@acme.io", "Acme", "14155550123", "2024-03-05")
    write_output(table, "person", [Outcome("a", "not_found")], tmp_path / "out.xlsx")
    sheet = openpyxl.load_workbook(tmp_path / "out.xlsx").worksheets[0]
    assert [(c.value, c.data_type, c.number_format) for c in sheet[2][:4]] == [
        ("jane@acme.io", "s", "@"),
        ("Acme", "s", "@"),
        (14155550123, "n", "General"),
        (datetime(2024, 3, 5), "d", "yyyy-mm-dd"),
    ]


def test_an_earlier_summary_stays_when_no_report_is_written(tmp_path: Path) -> None:
    """Without a report (library use), an earlier csv-enrich Summary is left as it was, not
    dropped from the package."""
    from tests.test_write_xlsx import a_report

    rich_workbook(tmp_path / "in.xlsx")
    table = read_table(tmp_path / "in.xlsx", sheet="Leads")
    first = tmp_path / "first.xlsx"
    write_output(table, "person", outcomes(), first, report=a_report(tmp_path, table))
    again = read_table(first, sheet="Leads")
    write_output(again, "person", outcomes(), tmp_path / "second.xlsx")
    book = openpyxl.load_workbook(tmp_path / "second.xlsx")
    assert book.sheetnames == ["Notes", "Leads", "Summary"]
    assert book["Summary"]["A1"].value == "In short"


def test_a_rebuilt_xlsm_keeps_its_macros(tmp_path: Path) -> None:
    """When an .xlsm cannot be copied as it is (here: no header row, so the output adds one),
    the rebuilt .xlsm still carries the input's VBA project, and opens as macro-enabled."""
    import xlsxwriter

    vba = tmp_path / "vbaProject.bin"
    vba.write_bytes(b"\xd0\xcf\x11\xe0 macros" * 40)
    book = xlsxwriter.Workbook(str(tmp_path / "in.xlsm"))
    sheet = book.add_worksheet("Leads")
    sheet.write_row(0, 0, ["jane@acme.io", "Acme"])
    sheet.write_row(1, 0, ["bob@example.com", "Example"])
    book.add_vba_project(str(vba))
    book.close()
    table = read_table(tmp_path / "in.xlsm")
    assert table.header_row == 0
    notes = write_output(table, "person", outcomes(), tmp_path / "out.xlsm")
    assert not any("macros" in n for n in notes)
    after = members(tmp_path / "out.xlsm")
    assert after["xl/vbaProject.bin"] == vba.read_bytes()
    assert b"macroEnabled" in after["[Content_Types].xml"]


def test_parts_csv_enrich_does_not_know_are_copied_too(tmp_path: Path) -> None:
    """Pivot tables and caches, slicers, custom XML: whatever the package holds comes back
    byte for byte, stored or deflated as it was."""
    rich_workbook(tmp_path / "plain.xlsx")
    parts = members(tmp_path / "plain.xlsx")
    extra = {
        "xl/pivotCache/pivotCacheDefinition1.xml": b"<pivotCacheDefinition refreshOnLoad='1'/>",
        "xl/pivotTables/pivotTable1.xml": b"<pivotTableDefinition name='PivotTable1'/>",
        "customXml/item1.xml": b"<anything><at all='yes'/></anything>",
    }
    with zipfile.ZipFile(tmp_path / "in.xlsx", "w") as archive:
        for name, data in {**parts, **extra}.items():
            stored = name.startswith("customXml/")
            archive.writestr(name, data, zipfile.ZIP_STORED if stored else zipfile.ZIP_DEFLATED)
    enrich(tmp_path / "in.xlsx", tmp_path / "out.xlsx")
    after = members(tmp_path / "out.xlsx")
    assert {n: after[n] for n in extra} == extra
    with zipfile.ZipFile(tmp_path / "out.xlsx") as archive:
        assert archive.getinfo("customXml/item1.xml").compress_type == zipfile.ZIP_STORED
