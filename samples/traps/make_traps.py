"""Regenerate samples/traps/: one small file per trap of issue 4, each with its expected result.

    python samples/traps/make_traps.py

Each trap is `<name>.<ext>` next to `<name>.expected.json`, written by hand below (never computed
by csv-enrich): the headers, the kind and mapping csv-enrich must find, one verdict per data row
(`row` is the row number a person sees: the spreadsheet row or the CSV line), cells whose text
must survive exactly, or the one-line error a bad file must produce. tests/test_read_traps.py
runs them all.
"""

from __future__ import annotations

import io
import zipfile
from datetime import datetime
from typing import Any

import xlsxwriter
from make_export_traps import (
    group_traps,
    hostile_ods_trap,
    hostile_traps,
    row_traps,
    several_column_traps,
)
from make_workbook_traps import workbook_traps, xls_trap
from trap_files import invalid, key, not_data, trap

NO_PERSON = "no email, LinkedIn URL, person id, or first + last name with a company or domain"
NO_ID = "no email, LinkedIn URL, person id, or first + last name with a company or domain"


def text_traps() -> None:
    """Encodings, delimiters, quoting, ragged and blank rows, placeholders, headers."""
    trap("utf8_bom", "csv", b"\xef\xbb\xbfEmail,First Name\r\njane@acme.io,Jane\r\n", {
        "reason": "UTF-8 with a BOM (Excel's 'CSV UTF-8'): the first header has no BOM in it",
        "headers": ["Email", "First Name"], "kind": "person",
        "mapping": {"email": "Email", "first_name": "First Name"},
        "rows": [key(2, "email:jane@acme.io")],
    })  # fmt: skip
    utf16 = "E-mail\tName\tCompany\r\njürgen@bäcker.de\tJürgen Groß\tBäcker\r\n"
    trap("utf16_tab", "txt", b"\xff\xfe" + utf16.encode("utf-16-le"), {
        "reason": "Excel's 'Unicode Text': UTF-16 LE, BOM, tab-separated; an IDN email is valid",
        "headers": ["E-mail", "Name", "Company"], "kind": "person",
        "mapping": {"email": "E-mail", "full_name": "Name", "company_name": "Company"},
        "rows": [key(2, "email:jürgen@bäcker.de")],
        "cells": {"Name": ["Jürgen Groß"]},
    })  # fmt: skip
    german = "Vorname;Nachname;Firma;E-Mail\r\nJürgen;Müller;Bäckerei Größ GmbH;\r\n"
    german += "François;Léger;Café Crème;f.leger@cafe-creme.fr\r\n"
    trap("cp1252_semicolon", "csv", german.encode("cp1252"), {
        "reason": "German Excel: Windows-1252, semicolons, German headers",
        "headers": ["Vorname", "Nachname", "Firma", "E-Mail"], "kind": "person",
        "mapping": {"email": "E-Mail", "first_name": "Vorname", "last_name": "Nachname",
                    "company_name": "Firma"},
        "rows": [key(2, "name:jurgen|muller|backerei gross gmbh"),
                 key(3, "email:f.leger@cafe-creme.fr")],
        "cells": {"Firma": ["Bäckerei Größ GmbH", "Café Crème"]},
    })  # fmt: skip
    trap("export", "tsv", b"Email\tZip\nJane@Acme.io\t02134\n", {
        "reason": "a .tsv file: tab-delimited; the ZIP keeps its leading zero",
        "kind": "person", "mapping": {"email": "Email"},
        "rows": [key(2, "email:jane@acme.io")], "cells": {"Zip": ["02134"]},
    })  # fmt: skip
    excel = 'sep=;\r\nEmail;Phone;Zip\r\njane@acme.io;="+14155550123";="02134"\r\n'
    trap("excel_hints", "csv", excel.encode(), {
        "reason": "Excel's 'sep=;' first line, and =\"...\" cells that keep zeros and + signs",
        "headers": ["Email", "Phone", "Zip"], "header_row": 2, "kind": "person",
        "mapping": {"email": "Email", "phone": "Phone"},
        "rows": [key(3, "email:jane@acme.io")],
        "cells": {"Phone": ["+14155550123"], "Zip": ["02134"]},
    })  # fmt: skip
    trap("pipe", "txt", b"email|company\njane@acme.io|Acme, Inc.\n", {
        "reason": "pipe-delimited text with a comma inside a field",
        "headers": ["email", "company"], "kind": "person",
        "mapping": {"email": "email", "company_name": "company"},
        "rows": [key(2, "email:jane@acme.io")], "cells": {"company": ["Acme, Inc."]},
    })  # fmt: skip
    quoted = 'Email,Notes,Company\r\njane@acme.io,"Met at ""SaaStr""\r\nfollow up",Acme\r\n'
    quoted += "john@beta.io,plain,Beta\r\n"
    trap("quoted_newlines", "csv", quoted.encode(), {
        "reason": "CRLF, a quoted line break and doubled quotes; rows keep their line numbers",
        "headers": ["Email", "Notes", "Company"], "kind": "person",
        "mapping": {"email": "Email", "company_name": "Company"},
        "rows": [key(2, "email:jane@acme.io"), key(4, "email:john@beta.io")],
        "cells": {"Notes": ['Met at "SaaStr"\r\nfollow up', "plain"]},
    })  # fmt: skip
    ragged = "Email,First Name,Last Name,,\njane@acme.io,Jane,Doe,,\n\njohn@beta.io,John\n,,,,\n"
    ragged += "x@y.co,X,Y,,,\n"
    trap("ragged_blank", "csv", ragged.encode(), {
        "reason": "ragged rows whose values still fit their columns (short, or long with empty"
                  " extra fields) are read; a blank line and an all-empty row are not data:"
                  " kept in place, not counted as invalid; trailing empty columns",
        "headers": ["Email", "First Name", "Last Name"], "kind": "person",
        "mapping": {"email": "Email", "first_name": "First Name", "last_name": "Last Name"},
        "rows": [key(2, "email:jane@acme.io"), not_data(3, "an empty row"),
                 key(4, "email:john@beta.io"), not_data(5, "an empty row"),
                 key(6, "email:x@y.co")],
        "cells": {"Email": ["jane@acme.io", None, "john@beta.io", None, "x@y.co"]},
    })  # fmt: skip
    trap("duplicate_headers", "csv", b"Email,Email,Company\njane@acme.io,j@gmail.com,Acme\n", {
        "reason": "two columns named Email: made unique, reported; the first is the email column",
        "headers": ["Email", "Email (2)", "Company"], "kind": "person",
        "mapping": {"email": "Email", "company_name": "Company"},
        "notes": ["two columns are named 'Email'; the later one is read as 'Email (2)'"],
        "rows": [key(2, "email:jane@acme.io")],
    })  # fmt: skip
    holders = "Email,Name,Company\nN/A,Jane Doe,#N/A\n[not provided],John Roe,Beta\n"
    holders += "-,  ,null\n#N/A,Ann Lee,n/a\n"
    trap("placeholders", "csv", holders.encode(), {
        "reason": "N/A, #N/A, [not provided], -, null and blanks are empty identifiers; the cells"
                  " and every row are kept as they are",
        "headers": ["Email", "Name", "Company"], "kind": "person",
        "mapping": {"email": "Email", "full_name": "Name", "company_name": "Company"},
        "rows": [invalid(2, "a first and last name need a company name or domain too"),
                 key(3, "name:john|roe|beta"), invalid(4, NO_PERSON),
                 invalid(5, "a first and last name need a company name or domain too")],
        "cells": {"Email": ["N/A", "[not provided]", "-", "#N/A"],
                  "Name": ["Jane Doe", "John Roe", "  ", "Ann Lee"],
                  "Company": ["#N/A", "Beta", "null", "n/a"]},
    })  # fmt: skip
    titled = "Lead export — March 2024\n\nGenerated by Acme CRM\nEmail,Phone,Company\n"
    titled += "jane@acme.io,0041 44 555 01 23,Acme\n"
    trap("title_rows", "csv", titled.encode(), {
        "reason": "title and blank rows above the header; a phone keeps its leading zeros",
        "headers": ["Email", "Phone", "Company"], "header_row": 4, "kind": "person",
        "mapping": {"email": "Email", "company_name": "Company", "phone": "Phone"},
        "rows": [key(5, "email:jane@acme.io")], "cells": {"Phone": ["0041 44 555 01 23"]},
    })  # fmt: skip


def mapping_traps() -> None:
    """Value sniffing, name splitting, LinkedIn forms, company lists, ambiguity, no identifiers."""
    sniff = "Who,Reach,Link\nJane Doe,jane@acme.io,https://acme.io\n"
    sniff += "John Roe,john@beta.io,www.beta.io\nAnn Lee,,https://www.gamma.dev/team\n"
    trap("value_sniff", "csv", sniff.encode(), {
        "reason": "headers that say nothing: emails and websites are recognised by their values",
        "kind": "person", "mapping": {"email": "Reach", "website": "Link"},
        "rows": [key(2, "email:jane@acme.io"), key(3, "email:john@beta.io"),
                 invalid(4, NO_ID)],
        "notes": ["'Reach' holds email addresses", "'Link' holds websites"],
    })  # fmt: skip
    names = (
        'Full Name,Company\n"Doe, Jane",Acme\nDr. John Smith,Beta\nProf. Dr. Hans Müller,Gamma\n'
    )
    names += "Cher,Delta\nMaría de la Cruz,Epsilon\n"
    trap("full_names", "csv", names.encode(), {
        "reason": "a full-name column split into first and last ('Last, First', titles)",
        "kind": "person", "mapping": {"full_name": "Full Name", "company_name": "Company"},
        "rows": [key(2, "name:jane|doe|acme"), key(3, "name:john|smith|beta"),
                 key(4, "name:hans|muller|gamma"),
                 invalid(5, "a first and a last name are both needed with the company"),
                 key(6, "name:maria|de la cruz|epsilon")],
        "notes": ["first and last names are split from 'Full Name'"],
    })  # fmt: skip
    forms = [
        "https://www.linkedin.com/in/jane-doe", "linkedin.com/in/Jane-Doe/",
        "https://uk.linkedin.com/in/jane-doe?trk=public_profile", "http://m.linkedin.com/in/jane-doe",
        "www.linkedin.com/pub/john-roe/1a/2b3/4c5", "https://www.linkedin.com/company/acme",
        "https://twitter.com/jane",
    ]  # fmt: skip
    trap("linkedin_forms", "csv", ("LinkedIn\n" + "\n".join(forms) + "\n").encode(), {
        "reason": "every common LinkedIn URL form; duplicates share one key; a company page fails",
        "kind": "person", "mapping": {"linkedin_url": "LinkedIn"},
        "rows": [key(2, "li:jane-doe"), key(3, "li:jane-doe"), key(4, "li:jane-doe"),
                 key(5, "li:jane-doe"), key(6, "li:john-roe-4c52b31a"),
                 invalid(7, "the LinkedIn URL is a company page, not a person's profile"),
                 invalid(8, "'https://twitter.com/jane' is not a LinkedIn profile URL")],
    })  # fmt: skip
    companies = "Company,Website\nAcme,https://www.acme.io/about\nAcme Inc,ACME.IO\n"
    companies += ",not a website\nBeta GmbH,\n"
    trap("company_websites", "csv", companies.encode(), {
        "reason": "a company list: domains from websites; the same domain is one company",
        "kind": "company", "mapping": {"website": "Website", "company_name": "Company"},
        "rows": [key(2, "domain:acme.io"), key(3, "domain:acme.io"),
                 invalid(4, "website 'not a website' is not a valid domain"),
                 key(5, "name:beta gmbh")],
        "notes": ["domains are taken from the websites in 'Website'"],
    })  # fmt: skip
    trap("company_emails", "csv", b"Work Email\njane@acme.io\njoe@gmail.com\n", {
        "reason": "--kind company with only emails: the work email's domain; free mail fails",
        "kind_choice": "company", "kind": "company", "mapping": {"email": "Work Email"},
        "rows": [key(2, "domain:acme.io"),
                 invalid(3, "the email is not a work address a domain can be taken from")],
    })  # fmt: skip
    trap("headerless", "csv", b"jane@acme.io,Acme\nJohn@Beta.io,Beta\n", {
        "reason": "a bare list without a header row: no row is lost, the values decide",
        "headers": ["Column 1", "Column 2"], "header_row": 0, "kind": "person",
        "mapping": {"email": "Column 1"},
        "rows": [key(1, "email:jane@acme.io"), key(2, "email:john@beta.io")],
    })  # fmt: skip
    trap("ambiguous", "csv", b"Email,E-mail\na@acme.io,b@beta.io\n", {
        "reason": "two different email columns that fit equally: reported, never guessed",
        "error": "the email column is ambiguous: 'Email' and 'E-mail' all fit; choose one with "
                 "--map 'Email=email' --map 'E-mail=ignore'",
    })  # fmt: skip
    trap("ambiguous_resolved", "csv", b"Email,E-mail\na@acme.io,b@beta.io\n", {
        "reason": "the same file with --map overrides",
        "overrides": {"E-mail": "email", "Email": "ignore"},
        "kind": "person", "mapping": {"email": "E-mail"}, "rows": [key(2, "email:b@beta.io")],
    })  # fmt: skip
    trap("no_identifiers", "csv", b"Title,City\nVP Sales,Berlin\n", {
        "reason": "no identifier column: the headers found and a --map example",
        "error": "no column holds an email, LinkedIn URL, person id or first + last name with a "
                 "company or domain. Headers found: 'Title', 'City'. Use --map 'Work Email=email'",
    })  # fmt: skip


def export_traps() -> None:
    """Round 2: platform pages as websites, placeholder LinkedIn handles, accounts exports,
    Phantombuster's Sales Navigator columns."""
    accounts = "Account Name,Website,Ticker,Contact Email\nHooli,hooli.com,,\n"
    accounts += "Facebook page,https://www.facebook.com/acme,,\n,,,carol@initech.com\n"
    trap("accounts_export", "csv", accounts.encode(), {
        "reason": "an accounts export with a Contact Email is a company file; a Facebook page is"
                  " no domain; the contact's work email stands in for a missing website",
        "kind": "company",
        "mapping": {"website": "Website", "company_name": "Account Name",
                    "company_ticker": "Ticker", "email": "Contact Email"},
        "rows": [key(2, "domain:hooli.com"), key(3, "name:facebook page"),
                 key(4, "domain:initech.com")],
    })  # fmt: skip
    handles = "Email,LinkedIn\n,TBD\n,unknown\njane@acme.io,TBD\n"
    handles += ",https://www.linkedin.com/in/ACoAAAB1234xyz\n,@jane-doe\n"
    trap("linkedin_handles", "csv", handles.encode(), {
        "reason": "TBD/unknown are not handles; member ids keep their case; @handle is a handle",
        "kind": "person", "mapping": {"email": "Email", "linkedin_url": "LinkedIn"},
        "rows": [invalid(2, "'TBD' is not a LinkedIn profile URL"),
                 invalid(3, "'unknown' is not a LinkedIn profile URL"),
                 key(4, "email:jane@acme.io"), key(5, "li:ACoAAAB1234xyz"),
                 key(6, "li:jane-doe")],
    })  # fmt: skip
    phantom = "firstName,lastName,companyName,defaultProfileUrl,linkedInProfileUrl,companyUrl\n"
    phantom += "Jane,Doe,Acme,https://www.linkedin.com/sales/people/ACwAAAB1,"
    phantom += "https://www.linkedin.com/in/jane-doe,https://www.linkedin.com/sales/company/12\n"
    trap("phantombuster", "csv", phantom.encode(), {
        "reason": "Phantombuster Sales Navigator export: the /in/ column wins, no --map needed;"
                  " a LinkedIn company link is no domain",
        "kind": "person",
        "mapping": {"linkedin_url": "linkedInProfileUrl", "first_name": "firstName",
                    "last_name": "lastName", "company_name": "companyName",
                    "website": "companyUrl"},
        "rows": [key(2, "li:jane-doe")],
    })  # fmt: skip


def bad_file_traps() -> None:
    """Files that must stop with one line (exit 2), quickly and in bounded memory."""
    trap("empty", "csv", b"", {"reason": "an empty file", "error": "the file is empty"})
    png = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 8
    trap("binary", "csv", png, {
        "reason": "an image named .csv", "error": "this is a binary file, not delimited text",
    })  # fmt: skip
    trap("csv_named", "xlsx", b"Email,Name\njane@acme.io,Jane\n", {
        "reason": "a CSV named .xlsx",
        "error": "this is text (CSV), not an Excel workbook; rename it to .csv",
    })  # fmt: skip
    html = b"<html><body><table><tr><td>Email</td></tr><tr><td>jane@acme.io</td></tr></table>"
    trap("html_named", "xls", html + b"</body></html>\n", {
        "reason": "a CRM 'Excel export' that is really an HTML table",
        "error": "this is a web page (HTML) saved with an Excel extension (as some CRMs export)",
    })  # fmt: skip
    whole = _xlsx([["Email"], ["jane@acme.io"]])
    trap("truncated", "xlsx", whole[: len(whole) // 2], {
        "reason": "half a workbook (an interrupted download)",
        "error": "the workbook is damaged or truncated; open it in Excel and save it again",
    })  # fmt: skip
    ole = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504 + b"EncryptedPackage" + b"\x00" * 512
    trap("password", "xlsx", ole, {
        "reason": "a password-protected workbook (Excel stores it as an encrypted OLE container)",
        "error": "the workbook is password-protected (encrypted)",
    })  # fmt: skip
    trap("zip_bomb", "xlsx", _zip_bomb(), {
        "reason": "a 48 KB workbook whose sheet inflates to 50 MB: stopped early",
        "error": "the workbook expands to far more data than it holds (a possible zip bomb)",
    })  # fmt: skip
    trap("xml_bomb", "xlsx", _xml_bomb(), {
        "reason": "billion laughs: a sheet declaring nested XML entities",
        "error": "the workbook declares XML entities (a possible entity bomb)",
    })  # fmt: skip


def _xlsx(rows: list[list[Any]]) -> bytes:
    buffer = io.BytesIO()
    with xlsxwriter.Workbook(buffer) as wb:
        wb.set_properties({"created": datetime(2024, 1, 1)})
        sheet = wb.add_worksheet("Leads")
        for r, row in enumerate(rows):
            sheet.write_row(r, 0, row)
    return buffer.getvalue()


def _rezip(original: bytes, replace: dict[str, bytes], level: int = 6) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(original)) as src, zipfile.ZipFile(out, "w") as dst:
        for info in src.infolist():
            data = replace.get(info.filename, src.read(info.filename))
            entry = zipfile.ZipInfo(info.filename, date_time=(2024, 1, 1, 0, 0, 0))
            dst.writestr(entry, data, zipfile.ZIP_DEFLATED, compresslevel=level)
    return out.getvalue()


def _zip_bomb() -> bytes:
    sheet = b'<?xml version="1.0"?><worksheet>' + b" " * (50 << 20) + b"</worksheet>"
    return _rezip(_xlsx([["Email"], ["jane@acme.io"]]), {"xl/worksheets/sheet1.xml": sheet}, 9)


def _xml_bomb() -> bytes:
    lol = "".join(f'<!ENTITY lol{i} "{f"&lol{i - 1};" * 10}">' for i in range(1, 10))
    sheet = (
        '<?xml version="1.0"?><!DOCTYPE worksheet [<!ENTITY lol0 "lol">' + lol + "]>"
        '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        '<sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>&lol9;</t></is></c></row>'
        "</sheetData></worksheet>"
    )
    return _rezip(
        _xlsx([["Email"], ["jane@acme.io"]]), {"xl/worksheets/sheet1.xml": sheet.encode()}
    )


if __name__ == "__main__":
    text_traps()
    mapping_traps()
    export_traps()
    bad_file_traps()
    workbook_traps()
    xls_trap()
    several_column_traps()
    row_traps()
    group_traps()
    hostile_traps()
    hostile_ods_trap()
