"""XLSX/XLSM in, the same workbook out: every part of the input's zip copied as it was, the
enriched sheet's XML rewritten row by row with the new columns, and a Summary sheet added.

The input's cells are never re-written, so each comes back exactly as it was: numbers and dates
with their formats, booleans, formulas with or without their cached values, links, comments,
data validation, conditional formats, merges; the other sheets keep their charts, images and
pivot tables, the workbook its defined names and an .xlsm its macros. Changed parts: the
enriched sheet (new cells after its last column holding a value), its relationships (links
made on purpose), styles.xml (the new cells' looks, appended), and for the Summary sheet the
workbook, its relationships and [Content_Types].xml. The input zip was checked by the reader
(sizes, no DTDs) and is checked again here before anything is copied.
"""

from __future__ import annotations

import posixpath
import re
import shutil
import zipfile
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from csv_enrich.models import Kind
from csv_enrich.output.xlsx_enriched import CELL_LIMIT, EnrichedSheet, NewColumns, rewrite
from csv_enrich.output.xlsx_links import STATUS_COLOURS, LinkBudget, link_target
from csv_enrich.output.xlsx_parts import (
    HYPERLINK,
    Looks,
    PartShapeError,
    XmlSheet,
    add_sheet,
    add_styles,
    insert_before_close,
    new_rels,
    relationship,
)
from csv_enrich.output.xlsx_rows import SheetShapeError, last_value_column, sheet_parts
from csv_enrich.output.xlsx_summary import summary_name, write_summary

if TYPE_CHECKING:
    from csv_enrich.read.table import Table
    from csv_enrich.report import Report

EXCEL_COLUMNS = 16_384
PATCH_ERRORS = (PartShapeError, SheetShapeError, KeyError, ValueError, zipfile.BadZipFile, OSError)
_SUMMARY_NAME = re.compile(r"summary|csv-enrich summary|summary \d+", re.IGNORECASE)
SummaryWriter = Callable[[XmlSheet, Looks, list[str]], None]  # (sheet, looks, writer's notes)


def write_patched(
    table: Table,
    kind: Kind,
    names: Sequence[str],
    values: Sequence[Sequence[str | int | None]],
    path: Path,
    report: Report | None,
) -> list[str]:
    """Write `path` as the input workbook with the new columns on its sheet and the report's
    Summary sheet (in place of an earlier csv-enrich Summary); return the writer's notes."""
    from csv_enrich.report import with_notes

    links = LinkBudget()
    new = NewColumns(kind, names, values, links, link_target, STATUS_COLOURS)
    replaced = _earlier_summary(table) if report is not None else None
    out = [f"The input's sheet {replaced!r} (an earlier csv-enrich Summary) is replaced."]
    out = out if replaced else []

    def summary(sheet: Any, looks: Looks, notes: list[str]) -> None:
        assert report is not None
        done = with_notes(report, [*out, *links.notes(), *notes])
        write_summary(sheet, done, title=looks.title, header=looks.header)

    name = replaced or summary_name(table.sheets)
    writer = summary if report is not None else None
    notes = patch_workbook(table, new, path, writer, name, replaced)
    return out + links.notes() + notes


def _earlier_summary(table: Table) -> str | None:
    """The input's sheet that is the Summary of an earlier csv-enrich run, if any (openpyxl
    opens the workbook only when a sheet has such a name)."""
    from csv_enrich.output.xlsx_sheets import Source, is_our_summary

    names = [n for n in table.sheets if n != table.sheet and _SUMMARY_NAME.fullmatch(n)]
    if not names:
        return None
    try:
        source = Source(table.path, None)
    except (OSError, KeyError, ValueError, zipfile.BadZipFile):
        return None
    try:
        return next((n for n in names if is_our_summary(source, n)), None)
    finally:
        source.close()


def _link_stem(source: zipfile.ZipFile, rels: str) -> str:
    """A relationship-id stem no id of the sheet's relationships starts with (an earlier
    csv-enrich output has links of its own)."""
    ids = re.findall(rb'\bId="([^"]*)"', source.read(rels)) if rels in source.namelist() else []
    n = 1
    while any(i.startswith(f"rIdCsvEnrich{n}_".encode()) for i in ids):
        n += 1
    return f"rIdCsvEnrich{n}_"


def can_patch(table: Table, output: Path) -> bool:
    """Whether the output is the input workbook patched: an .xlsx/.xlsm input with a header
    row, written to the same kind of file."""
    return (
        table.format in ("xlsx", "xlsm")
        and output.suffix.lower() == f".{table.format}"
        and table.header_row >= 1
        and table.sheet is not None
    )


def patch_workbook(
    table: Table,
    new: NewColumns,
    path: Path,
    summary: SummaryWriter | None,
    summary_name: str,
    replaced: str | None,
) -> list[str]:
    """Write `path`: the input workbook with `new` columns on its enriched sheet, and a Summary
    (filled by `summary`) as a new last sheet, or in place of the earlier one `replaced`."""
    from csv_enrich.read.sheet_xml import _sheet_member as sheet_member
    from csv_enrich.read.workbook import check_zip

    check_zip(table.path)
    with zipfile.ZipFile(table.path) as source:
        assert table.sheet is not None
        member = sheet_member(source, table.sheet)
        old = sheet_member(source, replaced) if replaced is not None else None
        if member is None or (replaced is not None and old is None):
            raise PartShapeError(f"no part for sheet {table.sheet!r}")
        first = _first_free_column(source, member, table)
        if first + len(new.names) > EXCEL_COLUMNS:
            raise PartShapeError("the new columns would pass Excel's last column, XFD")
        styles, looks = _styles(source, new.status_colours)
        with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, allowZip64=True) as out:
            return _write_package(source, out, table, new, member, first, styles, looks,
                                  summary, summary_name, old)  # fmt: skip


def _first_free_column(source: zipfile.ZipFile, member: str, table: Table) -> int:
    """The column after the last one holding a value, anywhere in the sheet."""
    last = len(table.headers) - 1
    with source.open(member) as stream:
        for kind, part in sheet_parts(stream):
            if kind == "row":
                last = max(last, last_value_column(part))
    return last + 1


def _styles(
    source: zipfile.ZipFile, colours: dict[str, tuple[str, str]]
) -> tuple[bytes | None, Looks]:
    if "xl/styles.xml" not in source.namelist():
        return None, Looks()
    try:
        return add_styles(source.read("xl/styles.xml"), colours)
    except PartShapeError:
        return None, Looks()


def _write_package(
    source: zipfile.ZipFile,
    out: zipfile.ZipFile,
    table: Table,
    new: NewColumns,
    member: str,
    first: int,
    styles: bytes | None,
    looks: Looks,
    summary: SummaryWriter | None,
    summary_name: str,
    replaced: str | None,
) -> list[str]:
    """Every part of `source` into `out`: copied, edited (styles, sheet list), or rewritten
    (the enriched sheet and its relationships), then the Summary; the writer's notes."""
    changed, summary_member = _changed_parts(source, styles, summary, summary_name, replaced)
    rels_member = _rels_of(member)
    sheet = EnrichedSheet(
        prefix="",
        first=first,
        header_row=table.header_row,
        data_rows={r: i for i, r in enumerate(table.source_rows)},
        looks=looks,
        link_stem=_link_stem(source, rels_member),
    )
    for info in source.infolist():
        if info.filename in changed:
            out.writestr(_info(info), changed[info.filename])
        elif info.filename not in (member, rels_member, summary_member):
            _copy(source, out, info)
    _write_sheet(source, out, member, new, sheet)
    _write_rels(source, out, rels_member, sheet)
    notes = _cut_note(sheet.cut)
    if summary is not None and summary_member is not None:
        paper = XmlSheet()
        summary(paper, looks, notes)
        out.writestr(summary_member, paper.xml())
    return notes


def _changed_parts(
    source: zipfile.ZipFile,
    styles: bytes | None,
    summary: SummaryWriter | None,
    summary_name: str,
    replaced: str | None,
) -> tuple[dict[str, bytes], str | None]:
    """The edited small parts by name, and the part the Summary goes to (None: no Summary)."""
    changed: dict[str, bytes] = {} if styles is None else {"xl/styles.xml": styles}
    if summary is None or replaced is not None:
        return changed, replaced if summary is not None else None
    member = _free_member(source)
    names = ("xl/workbook.xml", "xl/_rels/workbook.xml.rels", "[Content_Types].xml")
    book, rels, types = (source.read(n) for n in names)
    parts = add_sheet(book, rels, types, summary_name, member)
    changed.update(zip(names, parts, strict=True))
    return changed, member


def _write_sheet(
    source: zipfile.ZipFile, out: zipfile.ZipFile, member: str, new: NewColumns,
    sheet: EnrichedSheet,
) -> None:
    """The enriched sheet, streamed from the input's part through `rewrite`."""
    info = source.getinfo(member)
    with (
        source.open(member) as stream,
        out.open(_info(info), "w", force_zip64=info.file_size > 1 << 30) as sink,
    ):
        for chunk in rewrite(stream, new, sheet):
            sink.write(chunk)


def _free_member(source: zipfile.ZipFile) -> str:
    names = set(source.namelist())
    n = 1
    while f"xl/worksheets/sheet{n}.xml" in names:
        n += 1
    return f"xl/worksheets/sheet{n}.xml"


def _rels_of(member: str) -> str:
    folder, name = posixpath.split(member)
    return posixpath.join(folder, "_rels", f"{name}.rels")


def _info(info: zipfile.ZipInfo) -> zipfile.ZipInfo:
    """A fresh entry with the member's name, date and attributes, deflated."""
    fresh = zipfile.ZipInfo(info.filename, date_time=info.date_time)
    fresh.compress_type = zipfile.ZIP_DEFLATED
    fresh.external_attr = info.external_attr
    return fresh


def _copy(source: zipfile.ZipFile, out: zipfile.ZipFile, info: zipfile.ZipInfo) -> None:
    """A member as it was, streamed (its bytes unchanged; stored members stay stored)."""
    fresh = _info(info)
    fresh.compress_type = info.compress_type
    with (
        source.open(info) as src,
        out.open(fresh, "w", force_zip64=info.file_size > 1 << 30) as dst,
    ):
        shutil.copyfileobj(src, dst, 1 << 20)


def _write_rels(
    source: zipfile.ZipFile, out: zipfile.ZipFile, member: str, sheet: EnrichedSheet
) -> None:
    """The enriched sheet's relationships, with one per link made."""
    existing = source.read(member) if member in source.namelist() else None
    if not sheet.links:
        if existing is not None:
            out.writestr(_info(source.getinfo(member)), existing)
        return
    made = b"".join(
        relationship(rel_id, HYPERLINK, target, external=True) for rel_id, target in sheet.links
    )
    data = (
        insert_before_close(existing, "Relationships", made)
        if existing is not None
        else new_rels([made])
    )
    out.writestr(member, data)


def _cut_note(cut: int) -> list[str]:
    if not cut:
        return []
    return [
        f"{cut:,} values from the API are longer than Excel's {CELL_LIMIT:,} characters and were "
        "cut short in the XLSX output; a CSV output keeps them whole."
    ]
