"""The container of a workbook, checked before any parser touches it.

The right magic bytes, no encryption, a bounded uncompressed size (zip bombs), no XML document
type declarations (entity bombs), sheets within Excel's limits (read.limits), and for .ods
well-formed XML. The check unzips every member once; `check_container` hands back the
worksheets' XML it unzipped (with what the limits scan learnt of their extent), so the reader
does not unzip nor search them again. The sheet is unzipped and scanned piece by piece in one
thread: a reading thread ahead of the scan was slower (it waits for the GIL at every piece).
"""

from __future__ import annotations

import io
import zipfile
import zlib
from collections.abc import Callable, Iterator
from itertools import accumulate
from pathlib import Path
from typing import IO, Any

from csv_enrich.errors import InputError
from csv_enrich.read.limits import (
    DIMENSION_WITHIN,
    SheetScan,
    is_sheet,
    office_kind,
    renamed_message,
)

ZIP_MAGIC = b"PK\x03\x04"
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
MAX_MEMBER_BYTES = 1 << 30
MAX_TOTAL_BYTES = 2 << 30
MAX_RATIO = 400
OLE_SCAN_BYTES = 1 << 20
FIRST_PIECE, PIECE = 4096, 1 << 20  # how much of a member each read asks for


class Unzipped(dict[str, bytes]):
    """Worksheets' XML by zip member, as the container check unzipped it; `compact`: the members
    with no cell or row reference past column Z or row 999,999 (read.limits.PAST_Z_OR_999999),
    whose extent sheet_xml then need not measure; `matched`: what the search handed to
    unzip_checked found in each member (read.styled_cells.Matches), when it could search it."""

    def __init__(self) -> None:
        super().__init__()
        self.compact: set[str] = set()
        self.matched: dict[str, Any] = {}


# Given the archive (before its members are checked: it must read them only within bounds), a
# search of one worksheet's XML: None when it cannot search it, else what it found, whose
# `suspect` is False only when no reference in it can be past Excel's limits nor past column Z
# or row 999,999 and it holds no more <row tags than Excel's rows (then the container need not
# scan it itself). The search may have a `stream()` giving None or an object that searches
# the XML as it is unzipped: `feed(view, end)` with the bytes so far, `result(data)` (what the
# search gives of the whole `data`), `close()`.
SheetSearch = Callable[[zipfile.ZipFile], Callable[[bytes], Any]]


def check_container(
    path: Path, fmt: str, head: bytes, search: SheetSearch | None = None
) -> Unzipped:
    """Refuse what is not a readable workbook of its kind, before any parser touches it; the
    XML of its worksheets (zip member name -> bytes) as the check unzipped it (and what
    `search` found in each, see unzip_checked)."""
    if head.startswith(OLE_MAGIC):
        _check_ole(path)
    if head.startswith(OLE_MAGIC) and fmt != "xls":
        raise InputError(
            f"{path}: the workbook is password-protected (encrypted); "
            "open it in Excel, remove the password (File > Info > Protect Workbook) and save a copy"
        )
    if fmt == "xls":
        if not head.startswith(OLE_MAGIC):
            raise InputError(_not_a_workbook(path, head))
        return Unzipped()
    if not head.startswith(ZIP_MAGIC):
        raise InputError(_not_a_workbook(path, head))
    sheets = unzip_checked(path, search)
    if fmt == "ods":
        from csv_enrich.read.ods import check_ods

        check_ods(path)
    return sheets


def _check_ole(path: Path) -> None:
    """Refuse a Word or PowerPoint 97-2003 file named like a workbook (its stream names say)."""
    with path.open("rb") as fh:
        kind = office_kind(ole_head=fh.read(OLE_SCAN_BYTES))
    if kind is not None:
        raise InputError(renamed_message(path, kind))


def _not_a_workbook(path: Path, head: bytes) -> str:
    if head.startswith(ZIP_MAGIC) or head.startswith(OLE_MAGIC):
        return f"{path}: the workbook does not match its extension; save it again as .xlsx"
    markup = _markup(head)
    if markup:
        return (
            f"{path}: this is {markup} saved with an Excel extension (as some CRMs export); "
            "open it in Excel and save it as .xlsx, or export CSV"
        )
    if _looks_like_text(head):
        return f"{path}: this is text (CSV), not an Excel workbook; rename it to .csv"
    return f"{path}: not a spreadsheet (unknown binary content); export it as .xlsx or .csv"


def _markup(head: bytes) -> str | None:
    """ "a web page (HTML)" or "an XML Spreadsheet 2003" for those fake workbooks, else None."""
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if b"urn:schemas-microsoft-com:office:spreadsheet" in text:
        return "an XML Spreadsheet 2003"
    if text.startswith((b"<!doctype html", b"<html", b"<table", b"<meta")) or b"<html" in text:
        return "a web page (HTML)"
    return None


def _looks_like_text(head: bytes) -> bool:
    try:
        text = head.decode("utf-8")
    except UnicodeDecodeError:
        text = head.decode("latin-1")
    return "\x00" not in text and sum(ord(c) < 9 for c in text) == 0


def check_zip(path: Path) -> None:
    """A zip container whose real uncompressed size is bounded and whose XML declares no DTD."""
    unzip_checked(path)


def unzip_checked(path: Path, search: SheetSearch | None = None) -> Unzipped:
    """check_zip, handing back the worksheets' XML (member name -> bytes) it unzipped. Each
    worksheet's references are searched once every member passed (`search`: one pass that
    also finds what the reader needs, see Pending); an error on the way first replays the
    scan of the worksheets unzipped so far, so the same refusal comes first as when each was
    scanned while it was unzipped."""
    sheets = Unzipped()
    pending: list[Pending] = []
    try:
        with zipfile.ZipFile(path) as archive:
            kind = office_kind(archive.namelist())
            if kind is not None:
                raise InputError(renamed_message(path, kind))
            look = search(archive) if search is not None else None
            try:
                try:
                    _check_members(path, archive, pending, getattr(look, "stream", None))
                except _REFUSED:
                    for sheet in pending:
                        sheet.replay()
                    raise
                _settle(pending, look, sheets)
            finally:
                for sheet in pending:
                    sheet.stop()  # a search still streaming is let go
    except _DAMAGED:
        raise InputError(
            f"{path}: the workbook is damaged or truncated; open it in Excel and save it again"
        ) from None
    return sheets


def _settle(pending: list[Pending], look: Callable[[bytes], Any] | None, sheets: Unzipped) -> None:
    """Each worksheet, every member having passed, searched (Pending.settle) into `sheets`."""
    for sheet in pending:
        sheet.settle(look)
        sheets[sheet.member] = sheet.data
        if not sheet.far_reach:
            sheets.compact.add(sheet.member)
        if sheet.matched is not None:
            sheets.matched[sheet.member] = sheet.matched


_DAMAGED = (zipfile.BadZipFile, zlib.error, EOFError, zipfile.LargeZipFile, NotImplementedError,
            OSError, ValueError, UnicodeDecodeError)  # fmt: skip
_REFUSED = (InputError, *_DAMAGED)


def _check_members(
    path: Path, archive: zipfile.ZipFile, pending: list[Pending],
    stream: Callable[[], Any] | None = None,
) -> None:  # fmt: skip
    total = 0
    for info in archive.infolist():
        cap = _cap(info, MAX_TOTAL_BYTES - total)
        sheet = None
        if is_sheet(info.filename):
            sheet = Pending(path, info.filename, info.file_size, cap, stream)
        if sheet is not None:
            pending.append(sheet)
        total += _check_member(path, archive, info, MAX_TOTAL_BYTES - total, sheet)


class Pending:
    """A worksheet as it is unzipped: its bytes, and where each piece read began (the scan
    of its references waits for `settle`, or `replay` after an error). The pieces are
    written into one buffer of the size the zip declares, which hands its bytes over without
    a copy (a list of pieces joined at the end held the sheet twice); a member declaring more
    than its cap keeps its pieces in a list, as they come (it is most likely refused). The
    buffer is searched as it fills when the search can stream (`stream`, see SheetSearch)."""

    def __init__(
        self, path: Path, member: str, declared: int = 0, cap: int = 0,
        stream: Callable[[], Any] | None = None,
    ) -> None:  # fmt: skip
        self.path, self.member = path, member
        self.buffer = io.BytesIO()
        self.listed: list[bytes] | None = [] if declared > cap else None
        if 0 < declared <= cap:  # room for what the zip declares, taken at once
            self.buffer.seek(declared - 1)
            self.buffer.write(b"\0")
            self.buffer.seek(0)
        self.cuts: list[int] = []
        self.head = SheetScan(path, member)  # the declared dimension, as the pieces come
        self.data = b""
        self.far_reach = False
        self.matched: Any = None
        self.stream = stream() if stream is not None and self.listed is None else None

    def add(self, chunk: bytes) -> None:
        """The next piece read."""
        if self.listed is not None:
            self.listed.append(chunk)
        else:
            self.cuts.append(self.buffer.tell())
            self.buffer.write(chunk)
            if self.stream is not None:
                with self.buffer.getbuffer() as view:
                    self.stream.feed(view, self.buffer.tell())
        if self.head.seen < DIMENSION_WITHIN:
            self.head.feed_head(chunk)

    def replay(self) -> None:
        """SheetScan fed the pieces read so far, as they were read: raises its refusal, else
        learns far_reach."""
        scan = SheetScan(self.path, self.member)
        if self.listed is not None and not self.data:
            for chunk in self.listed:
                scan.feed(chunk)
        else:
            data = self.data or self._taken()
            view = memoryview(data)
            ends = [*self.cuts[1:], len(data)] if self.cuts else []
            for start, end in zip(self.cuts, ends, strict=True):
                scan.feed(view[start:end])
        self.far_reach = scan.far_reach

    def _taken(self) -> bytes:
        """The bytes read so far (the room left unused let go), handed over uncopied."""
        if self.listed is not None:
            data = b"".join(self.listed)
            self.cuts = list(accumulate([0, *map(len, self.listed)]))[:-1]
            self.listed.clear()
            return data
        self.buffer.truncate(self.buffer.tell())
        data, self.buffer = self.buffer.getvalue(), io.BytesIO()
        return data if self.cuts else b""

    def stop(self) -> None:
        """Let the stream go when it was not settled (a member was refused)."""
        if self.stream is not None:
            self.stream.close()
            self.stream = None

    def settle(self, look: Callable[[bytes], Any] | None) -> None:
        """The whole member read: its references searched (by `look`'s one pass when it
        tells that none can be past the limits, nor past column Z or row 999,999, and that
        there are not too many rows; else by the replay)."""
        self.data = self._taken()
        if self.stream is not None:
            found, self.stream = self.stream.result(self.data), None
        else:
            found = look(self.data) if look is not None else None
        if found is None or found.suspect:
            self.replay()
        self.matched = found


def _check_member(
    path: Path, archive: zipfile.ZipFile, info: zipfile.ZipInfo, budget: int,
    sheet: Pending | None,
) -> int:  # fmt: skip
    """The member's real size; a worksheet's pieces are handed to `sheet` as they are read."""
    if info.flag_bits & 0x1:
        raise InputError(f"{path}: the workbook is encrypted; save a copy without a password")
    cap = _cap(info, budget)
    with archive.open(info) as member:
        first = member.read(FIRST_PIECE)
        if info.filename.endswith((".xml", ".rels", ".vml")) and _declares_dtd(first):
            raise InputError(
                f"{path}: the workbook declares XML entities (a possible entity bomb); "
                "it was not read — save a clean copy from Excel"
            )
        size = len(first)
        if sheet is not None:
            sheet.add(first)
        for chunk in _reads(member):
            size += len(chunk)
            if sheet is not None:
                sheet.add(chunk)
            if size > cap:
                raise InputError(
                    f"{path}: the workbook expands to far more data than it holds "
                    "(a possible zip bomb); it was not read — save a clean copy from Excel"
                )
    return size


def _cap(info: zipfile.ZipInfo, budget: int) -> int:
    """The most a member may expand to."""
    return min(MAX_MEMBER_BYTES, budget, max(info.compress_size, 1) * MAX_RATIO + (8 << 20))


def _reads(member: IO[bytes]) -> Iterator[bytes]:
    """The rest of the member, PIECE bytes at a time."""
    while chunk := member.read(PIECE):
        yield chunk


def _declares_dtd(first: bytes) -> bool:
    text = first.lstrip(b"\xef\xbb\xbf").lower()
    return b"<!doctype" in text or b"<!entity" in text
