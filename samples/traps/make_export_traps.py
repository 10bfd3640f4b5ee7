"""The traps of issue 12: files as people really export them (run through make_traps.py, or
alone: python samples/traps/make_export_traps.py).

Several columns for one identifier, the known export layouts, several addresses in one cell.
Headers follow the real exports (Google Contacts, Outlook, Pipedrive, Close, Apollo, HubSpot,
Salesforce, Phantombuster); the values are made up.
"""

from __future__ import annotations

import datetime as dt
import io
import zipfile

import xlsxwriter
from trap_files import invalid, key, not_data, trap


def _csv(*lines: str) -> bytes:
    return ("\r\n".join(lines) + "\r\n").encode()


def several_column_traps() -> None:
    """E-mail 1/2/3, work/home/other, primary + list: all used, in order, first valid wins."""
    trap("google_contacts", "csv", _csv(
        "First Name,Last Name,E-mail 1 - Label,E-mail 1 - Value,E-mail 2 - Label,"
        "E-mail 2 - Value,E-mail 3 - Label,E-mail 3 - Value,Phone 1 - Label,Phone 1 - Value,"
        "Organization Name",
        "Jane,Doe,* Work,jane@acme.io,Home,jane@gmail.com,,,Mobile,+1 415 555 0100,Acme",
        "John,Roe,Work,not an address,Home,john@beta.io,,,,,Beta",
        "Ann,Lee,,,,,Other,ann@gamma.dev,,,Gamma",
        "Bo,Chu,Work,bo@delta.io ::: bo.chu@delta.io,,,,,,,Delta",
    ), {
        "reason": "Google Contacts: E-mail 1, 2 and 3 are all used in that order; each row "
                  "takes the first valid address; ' ::: ' separates two addresses in one cell",
        "kind": "person",
        "mapping": {"email": "E-mail 1 - Value", "first_name": "First Name",
                    "last_name": "Last Name", "company_name": "Organization Name",
                    "phone": "Phone 1 - Value"},
        "order": {"email": ["E-mail 1 - Value", "E-mail 2 - Value", "E-mail 3 - Value"]},
        "rows": [key(2, "email:jane@acme.io"), key(3, "email:john@beta.io"),
                 key(4, "email:ann@gamma.dev"),
                 {**key(5, "email:bo@delta.io"), "note": "'E-mail 1 - Value' holds several values; "
                  "the first valid email (bo@delta.io) is used"}],
        "notes": ["recognised as a Google Contacts export"],
    })  # fmt: skip
    trap("outlook", "csv", _csv(
        "First Name,Last Name,Company,Business Phone,Mobile Phone,E-mail Address,E-mail Type,"
        "E-mail Display Name,E-mail 2 Address,E-mail 2 Type,E-mail 3 Address",
        "Jane,Doe,Acme,+1 415 555 0100,+1 415 555 0199,jane@acme.io,SMTP,Jane Doe (jane@acme.io),"
        ",,",
        "John,Roe,Beta,,,,,,john@beta.io,SMTP,",
        "Ann,Lee,Gamma,,,,,,,,ann@gamma.dev",
    ), {
        "reason": "Outlook: E-mail Address, E-mail 2 Address, E-mail 3 Address in that order; "
                  "the mobile phone before the business phone",
        "kind": "person",
        "mapping": {"email": "E-mail Address", "first_name": "First Name",
                    "last_name": "Last Name", "company_name": "Company", "phone": "Mobile Phone"},
        "order": {"email": ["E-mail Address", "E-mail 2 Address", "E-mail 3 Address"],
                  "phone": ["Mobile Phone", "Business Phone"]},
        "rows": [key(2, "email:jane@acme.io"), key(3, "email:john@beta.io"),
                 key(4, "email:ann@gamma.dev")],
        "notes": ["recognised as an Outlook export"],
    })  # fmt: skip
    trap("pipedrive", "csv", _csv(
        "Person - Name,Person - Organization,Person - Email - Work,Person - Email - Home,"
        "Person - Email - Other,Person - Phone - Work,Person - Phone - Mobile",
        "Jane Doe,Acme,jane@acme.io,jane@gmail.com,,,+1 415 555 0100",
        "John Roe,Beta,,john@gmail.com,john@beta.io,,",
        "Ann Lee,Gamma,,,ann@gamma.dev,+1 415 555 0123,",
    ), {
        "reason": "Pipedrive: Email - Work, then Home, then Other (Home and Other are not an "
                  "ambiguity); the mobile phone first",
        "kind": "person",
        "mapping": {"email": "Person - Email - Work", "full_name": "Person - Name",
                    "company_name": "Person - Organization", "phone": "Person - Phone - Mobile"},
        "order": {"email": ["Person - Email - Work", "Person - Email - Home",
                            "Person - Email - Other"],
                  "phone": ["Person - Phone - Mobile", "Person - Phone - Work"]},
        "rows": [key(2, "email:jane@acme.io"), key(3, "email:john@gmail.com"),
                 key(4, "email:ann@gamma.dev")],
        "notes": ["recognised as a Pipedrive export"],
    })  # fmt: skip
    trap("close", "csv", _csv(
        "lead_name,name,title,primary_email,emails,primary_phone,phones",
        'Acme,Jane Doe,CEO,jane@acme.io,"jd@acme.io, jane@acme.io",+14155550100,+14155550100',
        "Beta,John Roe,CTO,,john@beta.io,,",
        'Gamma,Ann Lee,VP,,"n/a, ann@gamma.dev",,',
    ), {
        "reason": "Close: primary_email before emails (a list in one cell): recognised, not an "
                  "ambiguity; the first valid address of the list",
        "kind": "person",
        "mapping": {"email": "primary_email", "full_name": "name", "company_name": "lead_name",
                    "phone": "primary_phone"},
        "order": {"email": ["primary_email", "emails"], "phone": ["primary_phone", "phones"]},
        "rows": [key(2, "email:jane@acme.io"), key(3, "email:john@beta.io"),
                 {**key(4, "email:ann@gamma.dev"), "note": "'emails' holds several values; "
                  "the first valid email (ann@gamma.dev) is used"}],
        "notes": ["recognised as a Close export"],
    })  # fmt: skip
    trap("close_leads", "csv", _csv(
        "display_name,url,primary_contact_name,primary_contact_primary_email,"
        "primary_contact_emails,primary_contact_primary_phone",
        'Acme,https://acme.io,Jane Doe,,"jane@acme.io, jd@acme.io",+14155550100',
        "Beta,https://beta.io,John Roe,john@beta.io,john@beta.io,",
    ), {
        "reason": "a Close lead export: the primary contact's primary email before their email "
                  "list; display_name is the lead's (company's) name, never a person's",
        "kind": "person",
        "mapping": {"email": "primary_contact_primary_email",
                    "full_name": "primary_contact_name", "website": "url",
                    "phone": "primary_contact_primary_phone"},
        "order": {"email": ["primary_contact_primary_email", "primary_contact_emails"]},
        "rows": [{**key(2, "email:jane@acme.io"), "note": "'primary_contact_emails' holds "
                  "several values; the first valid email (jane@acme.io) is used"},
                 key(3, "email:john@beta.io")],
        "notes": ["recognised as a Close (leads) export",
                  "'display_name' is not used: in a Close (leads) export it holds the lead's "
                  "(the company's) name"],
    })  # fmt: skip
    trap("phantombuster_sn", "csv", _csv(
        "profileUrl,fullName,firstName,lastName,companyName,title,linkedInProfileUrl,"
        "defaultProfileUrl",
        "https://www.linkedin.com/sales/lead/ACwAAA1,Jane Doe,Jane,Doe,Acme,CEO,"
        "https://www.linkedin.com/in/jane-doe,https://www.linkedin.com/in/ACwAAA1",
        "https://www.linkedin.com/sales/lead/ACwAAA2,John Roe,John,Roe,Beta,CTO,,"
        "https://www.linkedin.com/in/ACwAAA2",
        "https://www.linkedin.com/sales/lead/ACwAAA3,Ann Lee,Ann,Lee,,VP,,",
    ), {
        "reason": "Phantombuster Sales Navigator search export: linkedInProfileUrl, then "
                  "defaultProfileUrl; the Sales Navigator profileUrl is never used",
        "kind": "person",
        "mapping": {"linkedin_url": "linkedInProfileUrl", "first_name": "firstName",
                    "last_name": "lastName", "full_name": "fullName",
                    "company_name": "companyName"},
        "order": {"linkedin_url": ["linkedInProfileUrl", "defaultProfileUrl"]},
        "rows": [key(2, "li:jane-doe"), key(3, "li:acwaaa2"),
                 invalid(4, "a first and last name need a company name or domain too")],
        "notes": ["recognised as a Phantombuster (Sales Navigator) export",
                  "'profileUrl' is not used: in a Phantombuster (Sales Navigator) export it "
                  "holds Sales Navigator links, which cannot be looked up"],
    })  # fmt: skip
    trap("apollo_phones", "csv", _csv(
        "First Name,Last Name,Company,Email,Email Status,Corporate Phone,Mobile Phone",
        "Jane,Doe,Acme,jane@acme.io,Verified,+1 415 555 0100,",
        "John,Roe,Beta,john@beta.io,Verified,+1 415 555 0200,+1 415 555 0177",
    ), {
        "reason": "Apollo: the mobile phone before the corporate phone, no --map needed",
        "kind": "person",
        "mapping": {"email": "Email", "first_name": "First Name", "last_name": "Last Name",
                    "company_name": "Company", "phone": "Mobile Phone"},
        "order": {"phone": ["Mobile Phone", "Corporate Phone"]},
        "rows": [key(2, "email:jane@acme.io"), key(3, "email:john@beta.io")],
        "notes": ["recognised as an Apollo export"],
    })  # fmt: skip
    trap("hubspot", "csv", _csv(
        "Record ID,First Name,Last Name,Email,Additional email addresses,Phone Number,"
        "Mobile Phone Number,Company Name",
        "101,Jane,Doe,jane@acme.io,,+1 415 555 0100,,Acme",
        "102,John,Roe,,john@beta.io;jr@beta.io,,+1 415 555 0101,Beta",
    ), {
        "reason": "HubSpot: Email, then the 'Additional email addresses' list (semicolons)",
        "kind": "person",
        "mapping": {"email": "Email", "first_name": "First Name", "last_name": "Last Name",
                    "company_name": "Company Name", "phone": "Mobile Phone Number"},
        "order": {"email": ["Email", "Additional email addresses"],
                  "phone": ["Mobile Phone Number", "Phone Number"]},
        "rows": [key(2, "email:jane@acme.io"),
                 {**key(3, "email:john@beta.io"), "note": "'Additional email addresses' holds "
                  "several values; the first valid email (john@beta.io) is used"}],
        "notes": ["recognised as a HubSpot export"],
    })  # fmt: skip
    trap("salesforce", "csv", _csv(
        '"First Name","Last Name","Title","Account Name","Email","Phone","Mobile"',
        '"Jane","Doe","CEO","Acme","jane@acme.io","+1 415 555 0100","+1 415 555 0199"',
        '"John","Roe","CTO","Beta","","+1 415 555 0101",""',
    ), {
        "reason": "a Salesforce report: Account Name is the company; Mobile before Phone",
        "kind": "person",
        "mapping": {"email": "Email", "first_name": "First Name", "last_name": "Last Name",
                    "company_name": "Account Name", "phone": "Mobile"},
        "order": {"phone": ["Mobile", "Phone"]},
        "rows": [key(2, "email:jane@acme.io"), key(3, "name:john|roe|beta")],
        "notes": ["recognised as a Salesforce export"],
    })  # fmt: skip
    trap("map_order", "csv", _csv(
        "Name,Company,Mail A,Mail B",
        "Jane Doe,Acme,jane@gmail.com,jane@acme.io",
        "John Roe,Beta,john@gmail.com,",
        "Ann Lee,Gamma,,",
    ), {
        "reason": "an unknown layout with two email columns: --map for the same field twice "
                  "sets the order (Mail B first, then Mail A)",
        "overrides": {"Mail B": "email", "Mail A": "email"},
        "kind": "person",
        "mapping": {"email": "Mail B", "full_name": "Name", "company_name": "Company"},
        "order": {"email": ["Mail B", "Mail A"]},
        "rows": [key(2, "email:jane@acme.io"), key(3, "email:john@gmail.com"),
                 key(4, "name:ann|lee|gamma")],
    })  # fmt: skip
    trap("map_order_needed", "csv", _csv(
        "Name,Company,Mail A,Mail B",
        "Jane Doe,Acme,jane@gmail.com,jane@acme.io",
    ), {
        "reason": "the same file without --map: two email columns an unknown layout does not "
                  "rank are a real ambiguity, and the message shows the --map that fixes it",
        "error": "the email column is ambiguous: 'Mail A' and 'Mail B' all fit; choose one with "
                 "--map 'Mail A=email' --map 'Mail B=ignore'",
    })  # fmt: skip
    trap("several_in_cell", "csv", _csv(
        "Email,Name,Company",
        '"jane@acme; jane@acme.io",Jane Doe,Acme',
        '"john@beta.io, j.roe@beta.io",John Roe,Beta',
        "ann@gamma.dev,Ann Lee,Gamma",
        '"x; y",Bo Chu,',
    ), {
        "reason": "several addresses in one cell: the first valid one is used, with a note",
        "kind": "person",
        "mapping": {"email": "Email", "full_name": "Name", "company_name": "Company"},
        "rows": [{**key(2, "email:jane@acme.io"), "note": "'Email' holds several values; "
                  "the first valid email (jane@acme.io) is used"},
                 {**key(3, "email:john@beta.io"), "note": "'Email' holds several values; "
                  "the first valid email (john@beta.io) is used"},
                 key(4, "email:ann@gamma.dev"),
                 invalid(5, "email 'x; y' is not a valid address; a first and last name need a "
                            "company name or domain too")],
    })  # fmt: skip


FOOTER = "a report footer"
EMPTY = "an empty row"


def row_traps() -> None:
    """Rows that are not data, and ragged rows whose values would land in the wrong columns."""
    trap("report_footer", "csv", _csv(
        '"Leads report"',
        '"Filtered By: Lead Status equals Open"',
        "",
        '"First Name","Last Name","Company","Email"',
        '"Jane","Doe","Acme","jane@acme.io"',
        "",
        '"John","Roe","Beta","john@beta.io"',
        ",,,",
        "",
        '"Grand Totals (2 records)"',
        "",
        '"Confidential Information - Do Not Distribute"',
        '"Copyright (c) 2000-2026 salesforce.com, inc. All rights reserved."',
    ), {
        "reason": "a Salesforce report: a blank line and a delimiter-only row among the leads, "
                  "and a footer (Grand Totals, Confidential, Copyright) are not data: kept where "
                  "they were, counted apart, not invalid",
        "header_row": 4, "kind": "person",
        "rows": [key(5, "email:jane@acme.io"), not_data(6, EMPTY), key(7, "email:john@beta.io"),
                 not_data(8, EMPTY), not_data(9, EMPTY), not_data(10, FOOTER),
                 not_data(11, EMPTY), not_data(12, FOOTER), not_data(13, FOOTER)],
        "notes": ["7 empty or footer rows kept in the output where they were; they are not "
                  "leads, not sent and not counted as rows"],
    })  # fmt: skip
    short = "the row has 3 fields but the header has 4: its values moved left (the email sits "
    trap("ragged_shift", "csv", _csv(
        "First Name,Last Name,Company,Email",
        "Jane,Doe,Acme,jane@acme.io",
        "Omar,Acme,omar@acme.io",
        "John,Roe,Beta, Inc.,john@beta.io",
        "Ann,Lee,Gamma",
        "Bo,Chu,Delta,bo@delta.io,,",
    ), {
        "reason": "ragged rows: a short row whose email moved under Company and a long row (an "
                  "unquoted comma) are not sent, with a note saying what is wrong; a short row "
                  "whose values still fit, and a long one with empty extra fields, are read",
        "kind": "person",
        "rows": [key(2, "email:jane@acme.io"),
                 invalid(3, short + "under 'Company'); fix the row in the file"),
                 invalid(4, "the row has 5 fields but the header has 4: its values would land "
                            "in the wrong columns (a delimiter inside a value without quotes?); "
                            "fix the row in the file"),
                 key(5, "name:ann|lee|gamma"), key(6, "email:bo@delta.io")],
    })  # fmt: skip


def _grouped(wb: object) -> None:
    ws = wb.add_worksheet("Leads")  # type: ignore[attr-defined]
    bold = wb.add_format({"bold": True})  # type: ignore[attr-defined]
    ws.merge_range("A1:B1", "Contact", bold)
    ws.merge_range("C1:D1", "Company", bold)
    ws.write_row(1, 0, ["Name", "Email", "Name", "Website"], bold)
    ws.write_row(2, 0, ["Jane Doe", "", "Acme", "https://acme.io"])
    ws.write_row(3, 0, ["John Roe", "john@beta.io", "Beta", "beta.io"])


def _partly_grouped(wb: object) -> None:
    ws = wb.add_worksheet("Leads")  # type: ignore[attr-defined]
    bold = wb.add_format({"bold": True})  # type: ignore[attr-defined]
    ws.merge_range("A1:B1", "Company", bold)
    ws.merge_range("D1:E1", "Details", bold)
    ws.write_row(1, 0, ["Name", "Website", "Name", "Email", "Notes"], bold)
    ws.write_row(2, 0, ["Acme", "acme.io", "Jane Doe", "", "met at SaaStr"])
    ws.write_row(3, 0, ["Beta", "beta.io", "John Roe", "john@beta.io", ""])


def group_traps() -> None:
    """Merged group headers above the header say whose "Name" a column is."""
    buffer = io.BytesIO()
    with xlsxwriter.Workbook(buffer) as wb:
        wb.set_properties({"created": dt.datetime(2024, 1, 1)})
        _grouped(wb)
    expected = {
        "reason": "'Name' under a merged 'Company' group header is the company's name; under "
                  "'Contact' the person's",
        "header_row": 2, "headers": ["Name", "Email", "Name (2)", "Website"], "kind": "person",
        "mapping": {"email": "Email", "full_name": "Name", "company_name": "Name (2)",
                    "website": "Website"},
        "rows": [key(3, "name:jane|doe|acme.io"), key(4, "email:john@beta.io")],
        "notes": ["'Name (2)' is read as company_name: it sits under the 'Company' group header"],
    }  # fmt: skip
    trap("group_headers", "xlsx", buffer.getvalue(), expected)
    buffer = io.BytesIO()
    with xlsxwriter.Workbook(buffer) as wb:
        wb.set_properties({"created": dt.datetime(2024, 1, 1)})
        _partly_grouped(wb)
    trap("group_headers_merged", "xlsx", buffer.getvalue(), {
        "reason": "the merged ranges say exactly which columns a group heads: the second Name "
                  "(no group above it, though 'Company' is to its left) is the person's",
        "header_row": 2, "kind": "person",
        "mapping": {"email": "Email", "full_name": "Name (2)", "company_name": "Name",
                    "website": "Website"},
        "rows": [key(3, "name:jane|doe|acme.io"), key(4, "email:john@beta.io")],
    })  # fmt: skip
    text = _csv("Account,,Contact,", "Name,Website,Name,Email", "Acme,acme.io,Jane Doe,",
                "Beta,beta.io,John Roe,john@beta.io")  # fmt: skip
    trap("group_headers_csv", "csv", text, {
        "reason": "the same in CSV: 'Account' over the first Name, 'Contact' over the second",
        "header_row": 2, "kind": "person",
        "mapping": {"email": "Email", "full_name": "Name (2)", "company_name": "Name",
                    "website": "Website"},
        "rows": [key(3, "name:jane|doe|acme.io"), key(4, "email:john@beta.io")],
    })  # fmt: skip


def _small_book() -> bytes:
    buffer = io.BytesIO()
    with xlsxwriter.Workbook(buffer) as wb:
        wb.set_properties({"created": dt.datetime(2024, 1, 1)})
        ws = wb.add_worksheet("Leads")
        ws.write_row(0, 0, ["Email", "Company"])
        ws.write_row(1, 0, ["jane@acme.io", "Acme"])
    return buffer.getvalue()


def _with_sheet(sheet: bytes) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(_small_book())) as src, zipfile.ZipFile(out, "w") as dst:
        for info in src.infolist():
            data = sheet if info.filename == "xl/worksheets/sheet1.xml" else src.read(info)
            entry = zipfile.ZipInfo(info.filename, date_time=(2024, 1, 1, 0, 0, 0))
            dst.writestr(entry, data, zipfile.ZIP_DEFLATED, compresslevel=9)
    return out.getvalue()


_NS = b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
_ROWS = (b'<row r="1"><c r="A1" t="inlineStr"><is><t>Email</t></is></c></row>'
         b'<row r="2"><c r="A2" t="inlineStr"><is><t>jane@acme.io</t></is></c></row>')


def _office_zip(members: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        for name, data in members.items():
            z.writestr(zipfile.ZipInfo(name, date_time=(2024, 1, 1, 0, 0, 0)), data,
                       zipfile.ZIP_DEFLATED)  # fmt: skip
    return out.getvalue()


def hostile_traps() -> None:
    """Sheets past Excel's limits, refused before they are inflated; Word and PowerPoint files
    with a spreadsheet's name, named as what they are."""
    declared = (b'<?xml version="1.0"?>' + _NS + b'<dimension ref="A1:C2000000"/><sheetData>'
                + _ROWS + b"</sheetData></worksheet>")  # fmt: skip
    trap("over_dimension", "xlsx", _with_sheet(declared), {
        "reason": "a sheet declaring 2,000,000 rows (its dimension): refused as damaged from "
                  "the first bytes of the sheet",
        "error": "the workbook is damaged: its sheet xl/worksheets/sheet1.xml declares a size of "
                 "2,000,000 rows x 3 columns, past Excel's limits",
    })  # fmt: skip
    many = (b'<?xml version="1.0"?>' + _NS + b"<sheetData>" + _ROWS + b"<row/>" * 1_500_000
            + b"</sheetData></worksheet>")  # fmt: skip
    trap("over_rows", "xlsx", _with_sheet(many), {
        "reason": "a 20 KB workbook whose sheet holds 1.5 million rows (no dimension declared): "
                  "refused while the rows are counted in the stream, before calamine reads it",
        "error": "its sheet xl/worksheets/sheet1.xml declares more than 1,048,576 rows",
    })  # fmt: skip
    wide = (b'<?xml version="1.0"?>' + _NS + b"<sheetData>" + _ROWS
            + b'<row r="3"><c r="XFE3" t="inlineStr"><is><t>x</t></is></c></row>'
            + b"</sheetData></worksheet>")  # fmt: skip
    trap("over_columns", "xlsx", _with_sheet(wide), {
        "reason": "a cell past column XFD (16,384 columns): damaged, refused",
        "error": "declares a cell at XFE3, past column XFD",
    })  # fmt: skip
    types = b'<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>'
    trap("word_named", "xlsx", _office_zip({
        "[Content_Types].xml": types, "word/document.xml": b"<w:document/>",
    }), {
        "reason": "a Word document renamed .xlsx is named as such",
        "error": "this is a Word document (.docx) renamed .xlsx, not a spreadsheet",
    })  # fmt: skip
    trap("powerpoint_named", "xlsx", _office_zip({
        "[Content_Types].xml": types, "ppt/presentation.xml": b"<p:presentation/>",
    }), {
        "reason": "a PowerPoint presentation renamed .xlsx is named as such",
        "error": "this is a PowerPoint presentation (.pptx) renamed .xlsx, not a spreadsheet",
    })  # fmt: skip
    ole = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 1016
    ole += "WordDocument".encode("utf-16-le") + b"\x00" * 512
    trap("word97_named", "xls", ole, {
        "reason": "a Word 97-2003 document renamed .xls: its OLE streams say what it is",
        "error": "this is a Word 97-2003 document (.doc) renamed .xls, not a spreadsheet",
    })  # fmt: skip


def _ods_past_limits() -> bytes:
    ns = ('xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
          'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
          'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0"')  # fmt: skip
    cell = '<table:table-cell office:value-type="string"><text:p>{}</text:p></table:table-cell>'
    rows = (f"<table:table-row>{cell.format('Email')}</table:table-row>"
            f"<table:table-row>{cell.format('jane@acme.io')}</table:table-row>"
            '<table:table-row table:number-rows-repeated="1048576"><table:table-cell/>'
            f"</table:table-row><table:table-row>{cell.format('x')}</table:table-row>")
    content = (f'<?xml version="1.0" encoding="UTF-8"?><office:document-content {ns}>'
               f'<office:body><office:spreadsheet><table:table table:name="Leads">{rows}'
               "</table:table></office:spreadsheet></office:body></office:document-content>")
    return _office_zip({"mimetype": b"application/vnd.oasis.opendocument.spreadsheet",
                        "content.xml": content.encode()})  # fmt: skip


def hostile_ods_trap() -> None:
    """An .ods whose values reach past row 1,048,576 (a repeated empty row in between)."""
    trap("over_rows_ods", "ods", _ods_past_limits(), {
        "reason": "an OpenDocument sheet with a value on row 1,048,579: refused as damaged "
                  "from a stream of its XML, repeats never expanded",
        "error": "the spreadsheet is damaged: a sheet has values on 1,048,579 rows x 1 columns, "
                 "past Excel's limits",
    })  # fmt: skip


if __name__ == "__main__":
    several_column_traps()
    row_traps()
    group_traps()
    hostile_traps()
    hostile_ods_trap()
