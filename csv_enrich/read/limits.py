"""Hostile workbooks: sheets past Excel's limits, and other Office files with a spreadsheet's name.

A sheet cannot hold more than 1,048,576 rows or 16,384 columns (A..XFD). One that says it does is
damaged or made to exhaust memory, so it is refused before calamine inflates it: `SheetScan` is
fed the sheet's XML chunk by chunk as the zip check already streams it, and stops at the declared
dimension (`<dimension ref="A1:C2000000"/>`, at the top of the sheet) or at the first row or cell
past the limits. Nothing is kept but a count, a flag and a few bytes of overlap. The same pass
learns whether any reference reaches past column Z or row 999,999 (`far_reach`), so that
sheet_xml's extent check need not search the sheet again.

`office_kind` names what an Office file really is (a Word document, a PowerPoint presentation)
from its zip member names or, for the older binary formats, its OLE stream names.
"""

from __future__ import annotations

import re
from pathlib import Path

from csv_enrich.errors import InputError

EXCEL_ROWS, EXCEL_COLUMNS = 1_048_576, 16_384
_DIMENSION = re.compile(rb'<dimension\b[^>]*\bref="(?:[A-Z]+\d+:)?([A-Z]+)(\d+)"')
# A row number of 7 digits or more, or a cell reference past column XFD (four letters or more,
# XFE..XFZ, XG..XZ, YAA..ZZZ): one pass over the XML finds either (a row's r is digits only).
# The literal r=" keeps the search fast; the byte before it must be whitespace (an r attribute).
_FAR = re.compile(rb'r="(\d{7,}|(?:[A-Z]{4,}|XF[E-Z]|X[G-Z][A-Z]|[YZ][A-Z]{2})\d+)"')
# sheet_xml's shortcut for its extent check: no reference past column Z nor past row 999,999.
PAST_Z_OR_999999 = re.compile(rb'r="[A-Z](?:[A-Z]|\d{7})')
# Where either pattern can match: r=" then seven digits, two letters, or a letter and seven
# digits (one search for both, as fast as _FAR's alone; each is then tried where it starts).
_CANDIDATE = re.compile(rb'r="(?:\d{7}|[A-Z](?:[A-Z]|\d{7}))')
_OVERLAP = 256
DIMENSION_WITHIN = 1 << 16


def column_number(letters: str) -> int:
    """1-based column number of Excel letters (A -> 1, XFD -> 16384)."""
    number = 0
    for ch in letters:
        number = number * 26 + (ord(ch) - 64)
    return number


class SheetScan:
    """Streams one sheet's XML and raises InputError at the first sign it is past the limits."""

    def __init__(self, path: Path, member: str) -> None:
        self.path, self.member = path, member
        self.rows = 0  # <row tags so far, less the <rowBreaks of the pieces not in `pending`
        self.pending: list[bytes | memoryview] = []  # pieces whose <rowBreaks are not yet taken off
        self.tail = b""
        self.seen = 0  # bytes looked at so far: the dimension is sought in the first 64 KB
        self.far_reach = False  # PAST_Z_OR_999999 found in what was fed

    def feed(self, chunk: bytes | memoryview) -> None:
        """Look at the next piece of the sheet's XML (a view of a larger buffer will do: it
        is not copied)."""
        text = self.tail + chunk
        if self.seen < DIMENSION_WITHIN:
            self._dimension(text)
        self.seen += len(chunk)
        self._count_rows(text, len(self.tail), chunk)
        self._references(text)
        self.tail = text[-_OVERLAP:]

    def feed_head(self, chunk: bytes) -> None:
        """What `feed` does of the next piece for the declared dimension alone."""
        text = self.tail + chunk
        if self.seen < DIMENSION_WITHIN:
            self._dimension(text)
        self.seen += len(chunk)
        self.tail = text[-_OVERLAP:]

    def _count_rows(self, text: bytes, start: int, chunk: bytes | memoryview) -> None:
        """Refuse more than EXCEL_ROWS rows (<row tags that are not <rowBreaks) in what was fed
        (`chunk`, which is `text` from `start`). The <rowBreaks are counted only once the <row
        tags alone pass the limit: until then the rows cannot (a sheet within the limits is
        searched once instead of twice)."""
        self.rows += text.count(b"<row", start)
        self.pending.append(chunk)
        if self.rows > EXCEL_ROWS:
            self.rows -= sum(bytes(piece).count(b"<rowBreaks") for piece in self.pending)
            self.pending.clear()
            if self.rows > EXCEL_ROWS:
                self._refuse(f"more than {EXCEL_ROWS:,} rows")

    def _references(self, text: bytes) -> None:
        """Refuse a row or cell reference past the limits (the first one, in document order);
        note one past column Z or row 999,999."""
        for candidate in _CANDIDATE.finditer(text):
            at = candidate.start()
            if not self.far_reach and PAST_Z_OR_999999.match(text, at):
                self.far_reach = True
            far = _FAR.match(text, at)
            if far is None:
                continue
            if text[at - 1 : at] not in (b" ", b"\t", b"\r", b"\n"):
                continue
            ref = far.group(1).decode()
            if not ref.isdigit():
                self._refuse(f"a cell at {ref}, past column XFD")
            if int(ref) > EXCEL_ROWS:
                self._refuse(f"a row numbered {int(ref):,}")

    def _dimension(self, head: bytes) -> None:
        found = _DIMENSION.search(head)
        if not found:
            return
        columns, rows = column_number(found.group(1).decode()), int(found.group(2))
        if rows > EXCEL_ROWS or columns > EXCEL_COLUMNS:
            self._refuse(f"a size of {rows:,} rows x {columns:,} columns")

    def _refuse(self, what: str) -> None:
        raise InputError(
            f"{self.path}: the workbook is damaged: its sheet {self.member} declares {what}, "
            f"past Excel's limits ({EXCEL_ROWS:,} rows x {EXCEL_COLUMNS:,} columns); it was "
            "not read — open it in Excel and save it again, or export CSV"
        )


def is_sheet(member: str) -> bool:
    """True for a worksheet part of an .xlsx/.xlsm."""
    return member.startswith("xl/worksheets/") and member.endswith(".xml")


_ZIP_KINDS = (
    ("word/document.xml", "a Word document (.docx)", "Word"),
    ("ppt/presentation.xml", "a PowerPoint presentation (.pptx)", "PowerPoint"),
)
_OLE_KINDS = (
    ("WordDocument", "a Word 97-2003 document (.doc)", "Word"),
    ("PowerPoint Document", "a PowerPoint 97-2003 presentation (.ppt)", "PowerPoint"),
)


def office_kind(names: list[str] | None = None, ole_head: bytes = b"") -> tuple[str, str] | None:
    """(what it is, the program that opens it) for a Word or PowerPoint file, from the zip
    member names or the start of an OLE file; None for anything else."""
    for member, what, program in _ZIP_KINDS:
        if names is not None and member in names:
            return what, program
    for stream, what, program in _OLE_KINDS:
        if stream.encode("utf-16-le") in ole_head:
            return what, program
    return None


def renamed_message(path: Path, kind: tuple[str, str]) -> str:
    """The one-line refusal for an Office file that is not a spreadsheet."""
    what, program = kind
    return (
        f"{path}: this is {what} renamed {path.suffix}, not a spreadsheet; open it in "
        f"{program} and copy the table into Excel, or export it as CSV"
    )
