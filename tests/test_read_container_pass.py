"""The container check searches a worksheet's references once every member passed (with the
reader's own pass over the sheet, read.styled_cells.match_cells), and replays the streaming
scan when that pass sees anything the scan looks for, or when any member is refused on the
way. Differential property test against the check as it was: each sheet scanned piece by
piece while it was unzipped (kept below as the reference)."""

from __future__ import annotations

import io
import re
import zipfile
import zlib
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from csv_enrich.errors import InputError
from csv_enrich.read import container, limits
from csv_enrich.read.container import Unzipped, unzip_checked
from csv_enrich.read.limits import SheetScan, is_sheet, office_kind, renamed_message
from csv_enrich.read.sheet_xml import search_sheets
from csv_enrich.read.styled_cells import match_cells


def _old_unzip_checked(path: Path) -> Unzipped:
    """container.unzip_checked before the deferred search (the reference)."""
    sheets = Unzipped()
    try:
        with zipfile.ZipFile(path) as archive:
            kind = office_kind(archive.namelist())
            if kind is not None:
                raise InputError(renamed_message(path, kind))
            total = 0
            for info in archive.infolist():
                size, far_reach, data = _old_check_member(
                    path, archive, info, container.MAX_TOTAL_BYTES - total
                )
                total += size
                if far_reach is not None:
                    sheets[info.filename] = data
                    if not far_reach:
                        sheets.compact.add(info.filename)
    except (zipfile.BadZipFile, zlib.error, EOFError, zipfile.LargeZipFile, NotImplementedError,
            OSError, ValueError, UnicodeDecodeError):  # fmt: skip
        raise InputError(
            f"{path}: the workbook is damaged or truncated; open it in Excel and save it again"
        ) from None
    return sheets


def _old_check_member(
    path: Path, archive: zipfile.ZipFile, info: zipfile.ZipInfo, budget: int
) -> tuple[int, bool | None, bytes]:
    if info.flag_bits & 0x1:
        raise InputError(f"{path}: the workbook is encrypted; save a copy without a password")
    cap = min(container.MAX_MEMBER_BYTES, budget,
              max(info.compress_size, 1) * container.MAX_RATIO + (8 << 20))  # fmt: skip
    scan = SheetScan(path, info.filename) if is_sheet(info.filename) else None
    with archive.open(info) as member:
        first = member.read(container.FIRST_PIECE)
        if info.filename.endswith((".xml", ".rels", ".vml")) and container._declares_dtd(first):
            raise InputError(
                f"{path}: the workbook declares XML entities (a possible entity bomb); "
                "it was not read — save a clean copy from Excel"
            )
        size = len(first)
        chunks = [first]
        if scan is not None:
            scan.feed(first)
        for chunk in container._reads(member):
            size += len(chunk)
            if scan is not None:
                scan.feed(chunk)
                chunks.append(chunk)
            if size > cap:
                raise InputError(
                    f"{path}: the workbook expands to far more data than it holds "
                    "(a possible zip bomb); it was not read — save a clean copy from Excel"
                )
    if scan is None:
        return size, None, b""
    return size, scan.far_reach, b"".join(chunks)


def _outcome(check: Callable[[], Unzipped]) -> object:
    try:
        sheets = check()
    except InputError as exc:
        return str(exc)
    return dict(sheets), sorted(sheets.compact)


_FAR_REF = st.tuples(
    st.sampled_from([" ", "\n", "x", ""]),
    st.sampled_from(["A", "Z", "AA", "XFD", "XFE", "XG", "ZZZ", "AAAA", "B", ""]),
    st.sampled_from(["1", "999999", "1000000", "1048576", "1048577", "12345678", ""]),
).map(lambda p: f'{p[0]}r="{p[1]}{p[2]}"')
_REF = st.one_of(st.sampled_from([' r="A1"', ' r="12"', ""]), _FAR_REF)  # mostly within
_PART = st.one_of(
    _REF.map(lambda ref: f"<c{ref}><v>1</v></c>"),
    _REF.map(lambda ref: f'<c{ref} s="1"><v>5</v></c>'),
    _REF.map(lambda ref: f"<row{ref}>"),
    st.sampled_from(["</row>", "<rowBreaks/>", "<row/>", '<c r="A1" s="1"><v>1</v></c>',
                     '<c r="B2" t="b"><v>1</v></c>', "r=", '"', 'R="AB1"', "é",
                     '<c r="C3" s="1" x="<row r=\'AB1\'"><v>1</v></c>']),
)  # fmt: skip
_SHEET = st.tuples(
    st.sampled_from(["", "", "<!DOCTYPE x>"]),
    st.sampled_from(['<dimension ref="A1:C3"/>', '<dimension ref="A1:XFE3"/>', ""]),
    st.lists(_PART, max_size=25),
).map(lambda p: f"{p[0]}<worksheet>{p[1]}<sheetData>{''.join(p[2])}</sheetData></worksheet>")
_SHEET_BYTES = _SHEET.map(str.encode)
_STYLES = (
    b'<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
    b'<numFmts><numFmt numFmtId="164" formatCode="00000"/></numFmts><cellXfs>'
    b'<xf numFmtId="0"/><xf numFmtId="164"/></cellXfs></styleSheet>'
)
_OTHER = st.sampled_from([
    _STYLES, _STYLES, b"<x/>", b"<x/>", b"<!DOCTYPE x><x/>", b"not xml <",
    b"<x>" + b"y" * 3000 + b"</x>",
])  # fmt: skip
_NAMES = ["xl/worksheets/sheet1.xml", "xl/worksheets/sheet2.xml", "xl/styles.xml",
          "xl/theme/theme1.xml", "xl/_rels/workbook.xml.rels", "docProps/app.xml"]  # fmt: skip


@st.composite
def _workbooks(draw: st.DrawFn) -> tuple[list[tuple[str, bytes]], int | None]:
    names = draw(st.lists(st.sampled_from(_NAMES), min_size=1, max_size=5, unique=True))
    members = [(n, draw(_SHEET_BYTES) if is_sheet(n) else draw(_OTHER)) for n in names]
    damaged = draw(st.sampled_from([None, None, None, draw(st.integers(0, len(members) - 1))]))
    return members, damaged


def _zip(path: Path, members: list[tuple[str, bytes]], damaged: int | None) -> None:
    """The members stored (not deflated); `damaged`: that member's last byte flipped, so its
    CRC fails when it is read to the end."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as archive:
        for name, data in members:
            archive.writestr(name, data)
    raw = bytearray(buffer.getvalue())
    if damaged is not None:
        name, data = members[damaged]
        at = raw.find(name.encode() + data) + len(name) + len(data) - 1
        raw[at] ^= 0x01
    path.write_bytes(bytes(raw))


@settings(max_examples=400, deadline=None)
@given(
    book=_workbooks(),
    pieces=st.tuples(st.integers(1, 64), st.integers(1, 64)),
    member_cap=st.sampled_from([1 << 30, 1 << 30, 1 << 30, 200, 1500]),
    rows=st.integers(0, 6),
)
def test_the_check_refuses_and_hands_back_what_the_streaming_scan_did(
    tmp_path_factory: pytest.TempPathFactory, book: tuple[list[tuple[str, bytes]], int | None],
    pieces: tuple[int, int], member_cap: int, rows: int,
) -> None:  # fmt: skip
    """The same refusal (the first, in the same words) or the same sheets and compact ones,
    with or without the one pass, however the members are read piece by piece (small pieces,
    a small member cap and a small row limit stand in for Excel's and the zip bomb's)."""
    path = tmp_path_factory.mktemp("zip") / "book.xlsx"
    _zip(path, *book)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(container, "FIRST_PIECE", pieces[0])
        patch.setattr(container, "PIECE", pieces[1])
        patch.setattr(container, "MAX_MEMBER_BYTES", member_cap)
        patch.setattr(limits, "EXCEL_ROWS", rows)
        want = _outcome(lambda: _old_unzip_checked(path))
        assert _outcome(lambda: unzip_checked(path)) == want
        assert _outcome(lambda: unzip_checked(path, search_sheets)) == want


_CANDIDATE = re.compile(rb'r="(?:\d{7}|[A-Z](?:[A-Z]|\d{7}))')


@settings(max_examples=300, deadline=None)
@given(sheet=_SHEET_BYTES, styled=st.booleans(), piece=st.sampled_from([1, 40, 4 << 20]))
def test_the_pass_tells_the_candidates_and_row_tags_as_the_scan_would_see_them(
    sheet: bytes, styled: bool, piece: int
) -> None:
    """match_cells' `candidates` is read.limits' candidate search over the whole XML, and
    `rows` is bytes.count of "<row" (inside a matched cell or not, across piece cuts)."""
    found = match_cells(sheet, {1: "00000"} if styled else {}, piece)
    assert found is not None
    assert found.candidates == bool(_CANDIDATE.search(sheet)) == bool(
        limits._CANDIDATE.search(sheet)
    )
    assert found.rows == sheet.count(b"<row")


def _old_xlsx_grid(
    path: Path, reader: object, index: int, name: str, limit: int | None, unzipped: Unzipped,
) -> object:  # fmt: skip
    """read.workbook._xlsx_grid before the container's pass found the cells (the reference):
    the sheet's XML searched again while calamine loads."""
    from concurrent.futures import ThreadPoolExecutor
    from dataclasses import replace

    from csv_enrich.read import workbook as wb
    from csv_enrich.read.sheet_xml import format_cells, merged_ranges, sheet_xml
    from csv_enrich.read.styled_cells import place

    xml = sheet_xml(path, name, unzipped)
    with ThreadPoolExecutor(max_workers=1) as pool:
        loading = pool.submit(wb._load_grid, path, reader, index, limit)
        cells = format_cells(path, name, xml or None)
        grid, first_col = loading.result()
    if cells is not None:
        grid = place(grid, cells, first_col)
    return replace(grid, merges=merged_ranges(xml, first_col))


def _read(path: Path, sheet: str | None) -> object:
    """read_table's Table (its frame as rows) or refusal."""
    from dataclasses import asdict

    from csv_enrich.read import read_table

    try:
        table = read_table(path, sheet=sheet)
    except InputError as exc:
        return str(exc)
    fields = asdict(table)
    fields["frame"] = (table.frame.columns, table.frame.rows())
    return fields


def _unsearched(path: Path, fmt: str, head: bytes, search: object = None) -> Unzipped:
    """check_container without the search: every sheet scanned by the container itself."""
    return container.check_container(path, fmt, head)


def _both_ways(path: Path) -> None:
    from csv_enrich.read import workbook as wb

    for sheet in (None, "1", "2", "3"):
        got = _read(path, sheet)
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(wb, "_xlsx_grid", _old_xlsx_grid)
            patch.setattr(wb, "check_container", _unsearched)
            want = _read(path, sheet)
        assert got == want, (path, sheet)


def _sample_workbooks() -> list[Path]:
    samples = Path(__file__).resolve().parents[1] / "samples"
    return sorted([*samples.rglob("*.xlsx"), *samples.rglob("*.xlsm")])


@pytest.mark.parametrize("path", _sample_workbooks(), ids=lambda p: p.name)
def test_every_sample_workbook_reads_as_before(path: Path) -> None:
    """Each sheet of each trap, golden and sample workbook: the same Table, or the same
    refusal, as when the reader searched the sheet's XML again itself."""
    _both_ways(path)


@settings(max_examples=40, deadline=None)
@given(
    values=st.lists(
        st.one_of(
            st.integers(-5, 10**17), st.floats(allow_nan=False, allow_infinity=False),
            st.booleans(), st.sampled_from(["x", "00501", "=1/0", "", "a@b.io"]),
        ),
        min_size=1, max_size=40,
    ),
    fmt=st.sampled_from(["00000", "dd/mm/yyyy", "0.00%", "General", "yyyy-mm-dd hh:mm"]),
    at=st.sampled_from(["A1", "C5", "Z2", "AA3"]),
    merge=st.booleans(),
)  # fmt: skip
def test_generated_workbooks_read_as_before(
    tmp_path_factory: pytest.TempPathFactory, values: list[object], fmt: str, at: str,
    merge: bool,
) -> None:  # fmt: skip
    """Numbers in a number format, booleans, formulas with errors, long numbers, a merged
    title, from any first cell: the same Table both ways."""
    import xlsxwriter
    from xlsxwriter.utility import xl_cell_to_rowcol

    path = tmp_path_factory.mktemp("gen") / "gen.xlsx"
    row, col = xl_cell_to_rowcol(at)
    with xlsxwriter.Workbook(str(path)) as book:
        ws = book.add_worksheet("Leads")
        styled = book.add_format({"num_format": fmt})
        if merge:
            ws.merge_range(row, col, row, col + 1, "Contacts")
            row += 1
        ws.write_row(row, col, ["Email", "Value"])
        for i, value in enumerate(values):
            ws.write(row + 1 + i, col, f"p{i}@acme.io")
            if isinstance(value, str) and value.startswith("="):
                ws.write_formula(row + 1 + i, col + 1, value, styled, "#DIV/0!")
            else:
                ws.write(row + 1 + i, col + 1, value, styled)
    _both_ways(path)


def test_a_number_past_the_largest_float_is_read_not_a_crash(tmp_path: Path) -> None:
    """Regression: xlsxwriter writes 1.7976931348623155e308 as 1.797693134862316E+308, which
    Python reads as inf; the General format's scientific text crashed on it (IndexError).
    calamine's text is kept, as numfmt.render keeps it for what is not a finite number."""
    import xlsxwriter

    from csv_enrich.read import read_table

    path = tmp_path / "huge.xlsx"
    with xlsxwriter.Workbook(str(path)) as book:
        ws = book.add_worksheet("Leads")
        ws.write_row(0, 0, ["Email", "Value"])
        ws.write_row(1, 0, ["a@b.io", 1.7976931348623155e308])
        ws.write_row(2, 0, ["c@d.io", 1.5e20])
    table = read_table(path)
    assert table.frame.get_column("Value").to_list() == ["inf", "1.5E+20"]
