"""XLSX output: the enriched sheet, the input workbook's other sheets, and a "Summary" sheet.

An .xlsx/.xlsm input written to the same kind of file is the input workbook itself with columns
added (xlsx_patch). Everything else (CSV, .xls, .ods inputs; an .xlsm written as .xlsx; an input
that cannot be copied) is rebuilt here: xlsxwriter in constant-memory mode writes the enriched
sheet row by row (flat memory at 100k rows). Input text and API values are text cells; a CSV's
plain-number columns (xlsx_numbers) and the typed cells of .ods/.xls inputs (xlsx_typed) are
numbers, dates and booleans; emails and LinkedIn URLs found by the API become links;
enrichment_status is coloured by value. The other sheets of an XLSX input keep their place, cells
and look (see xlsx_sheets); a last "Summary" sheet states the cost report in words and numbers.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from csv_enrich.models import Kind, columns_for
from csv_enrich.output.headers import output_headers
from csv_enrich.output.xlsx_links import (
    STATUS_COLOURS,
    LinkBudget,
    keep_links_compact,
    link_target,
)
from csv_enrich.output.xlsx_numbers import as_number, numbers_note, plain_number_columns
from csv_enrich.output.xlsx_sheets import (
    Layout,
    Source,
    column_looks,
    copy_defined_names,
    copy_rows,
    copy_sheet,
    drawings_note,
    header_texts,
    is_our_summary,
    read_layout,
)
from csv_enrich.output.xlsx_summary import summary_name, write_summary
from csv_enrich.output.xlsx_typed import Typed, typed_cells
from csv_enrich.report import Report, with_notes

if TYPE_CHECKING:
    from csv_enrich.read.table import Table

CELL_LIMIT = 32_767  # Excel's characters per cell
TRUNCATED = -2  # what xlsxwriter's write_string returns when it had to cut a string
WIDTH_SAMPLE = 500
CARRIED_FORMATS = ("xlsx", "xlsm")  # inputs whose other sheets are carried over
SHEET_FORMATS = ("xlsx", "xlsm", "xls", "ods")  # inputs whose row numbers are sheet rows
_BAD_SHEET_CHARS = re.compile(r"[\[\]:*?/\\]")
CellWriter = Callable[[Any, int, int, Any], None]


class _Styles:
    """The few cell formats the workbook uses, made once."""

    def __init__(self, book: Any) -> None:
        self.book = book
        self.header = book.add_format({"bold": True, "bg_color": "#F2F2F2", "bottom": 1})
        self.title = book.add_format({"bold": True, "font_size": 12})
        self.text = book.add_format({"num_format": "@"})
        self.link = book.add_format({"num_format": "@", "font_color": "blue", "underline": 1})
        self._numbers: dict[str, Any] = {}
        self.status = {
            s: book.add_format({"num_format": "@", "bg_color": bg, "font_color": fg})
            for s, (bg, fg) in STATUS_COLOURS.items()
        }


    def number(self, code: str | None) -> Any:
        """The format showing numbers as `code` (None: General), made once per code."""
        if code is None:
            return None
        if code not in self._numbers:
            self._numbers[code] = self.book.add_format({"num_format": code})
        return self._numbers[code]


def write_xlsx(
    table: Table,
    kind: Kind,
    names: Sequence[str],
    values: Sequence[Sequence[str | int | None]],
    path: Path,
    *,
    report: Report | None = None,
) -> list[str]:
    """Write the workbook to `path`; return notes about anything it had to change."""
    from csv_enrich.errors import InputError
    from csv_enrich.output.xlsx_patch import PATCH_ERRORS, can_patch, write_patched

    rebuilt: list[str] = []
    if can_patch(table, path):
        try:
            return write_patched(table, kind, names, values, path, report)
        except (*PATCH_ERRORS, InputError) as exc:
            rebuilt = [
                f"The input workbook {table.path.name!r} could not be copied as it is "
                f"({_reason(exc)}), so the output is a rebuilt copy: its values, other sheets, "
                "title rows and column widths are carried over; charts, images and comments "
                "are not."
            ]
    return rebuilt + _rebuilt(table, kind, names, values, path, report=report)


def _reason(exc: Exception) -> str:
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text if len(text) <= 100 else text[:97] + "..."


def _rebuilt(
    table: Table,
    kind: Kind,
    names: Sequence[str],
    values: Sequence[Sequence[str | int | None]],
    path: Path,
    *,
    report: Report | None = None,
) -> list[str]:
    """The workbook written anew by xlsxwriter (CSV, .xls and .ods inputs, and the fallback)."""
    import xlsxwriter

    options = {"constant_memory": True, "strings_to_urls": False, "strings_to_numbers": False}
    book = xlsxwriter.Workbook(str(path), {**options, "strings_to_formulas": False})
    styles = _Styles(book)
    source, out = _open_source(table, book)
    out += _macros(book, table, path) + _uncarried(table, path)
    order = _carried_order(table, source)
    out += _replaced(table, order) if source is not None else []
    try:
        out += _write_sheets(book, table, kind, names, values, styles, source, order)
        if report is not None:
            sheet = book.add_worksheet(summary_name(order))
            summary = with_notes(report, out)
            write_summary(sheet, summary, title=styles.title, header=styles.header)
    finally:
        book.close()
        if source is not None:
            source.close()
    return out


def _open_source(table: Table, book: Any) -> tuple[Source | None, list[str]]:
    """The input workbook to carry sheets and layout from (None for other inputs, or when it
    can no longer be opened: the results are written all the same)."""
    if table.format not in CARRIED_FORMATS or not (len(table.sheets) > 1 or _top(table)):
        return None, []
    try:
        return Source(table.path, book), []
    except (OSError, KeyError, ValueError, zipfile.BadZipFile):
        return None, [
            f"The input workbook {table.path.name!r} could not be opened again, so its other "
            "sheets, title rows and column widths are not carried over."
        ]


def _carried_order(table: Table, source: Source | None) -> list[str]:
    """The sheets to write, in the input's order, less the Summary of an earlier csv-enrich
    run (this run's Summary replaces it)."""
    data_name, order = _sheet_order(table)
    if source is None:
        return [data_name]
    return [n for n in order if n == data_name or not is_our_summary(source, n)]


def _replaced(table: Table, order: Sequence[str]) -> list[str]:
    gone = [n for n in _sheet_order(table)[1] if n not in order]
    return [f"The input's sheet {n!r} (an earlier csv-enrich Summary) is replaced." for n in gone]


def _write_sheets(
    book: Any,
    table: Table,
    kind: Kind,
    names: Sequence[str],
    values: Sequence[Sequence[str | int | None]],
    styles: _Styles,
    source: Source | None,
    order: Sequence[str],
) -> list[str]:
    """Every sheet in `order`: the enriched one, and the others carried over."""
    data_name = _sheet_order(table)[0]
    out: list[str] = []
    for name in order:
        if name != data_name:
            out += copy_sheet(source, name) if source else []
            continue
        sheet = book.add_worksheet(name)
        keep_links_compact(sheet)
        sheet.activate()
        layout = _layout(table, name)
        if source is not None and _top(table):
            copy_rows(source, name, sheet, _top(table), layout)
        elif table.format not in CARRIED_FORMATS:
            _write_titles(sheet, table, styles)
        looks = _own_looks(source, table, name, layout)
        out += _write_data(sheet, table, kind, names, values, styles, _top(table), looks)
    if source is not None:
        out += copy_defined_names(source) + drawings_note(table.path)
    return out


def _layout(table: Table, name: str) -> Layout:
    """The input sheet's columns (and, when title rows are kept, its merges: those need the
    whole sheet read)."""
    if table.format not in CARRIED_FORMATS:
        return Layout()
    return read_layout(table.path, name, whole=bool(_top(table)))


def _own_looks(
    source: Source | None, table: Table, name: str, layout: Layout
) -> dict[int, tuple[float | None, bool]]:
    """The input's widths and hidden state of the enriched sheet's columns, when its columns
    sit where the output puts them (from column A, none left out); else none."""
    given = output_headers(table)
    if not layout.columns:
        return {}
    if layout.used_columns is not None:
        placed = layout.used_columns == (0, len(given) - 1)
    else:
        texts = header_texts(source, name, table.header_row) if source is not None else []
        placed = len(texts) >= len(given) and all(
            not h or t.strip() == h.strip() for t, h in zip(texts, given, strict=False)
        )
    return column_looks(layout, len(given)) if placed else {}


def _top(table: Table) -> int:
    """Title rows above the header that the output keeps (a report's title rows)."""
    if table.format in CARRIED_FORMATS:
        return table.header_row - 1
    return len(table.title_rows)


def _write_titles(sheet: Any, table: Table, styles: _Styles) -> None:
    """The title rows above the header of a CSV or .xls/.ods input, as text, where they were."""
    for r, row in enumerate(table.title_rows):
        for c, text in enumerate(row):
            if text is not None:
                sheet.write_string(r, c, text, styles.text)


def _sheet_order(table: Table) -> tuple[str, list[str]]:
    """The enriched sheet's name and every sheet's name in workbook order."""
    if table.format in CARRIED_FORMATS and table.sheets:
        data = table.sheet or table.sheets[0]
        return data, list(table.sheets)
    name = _BAD_SHEET_CHARS.sub("_", table.sheet or table.path.stem)[:31].strip("'") or "Sheet1"
    return name, [name]


def _macros(book: Any, table: Table, path: Path) -> list[str]:
    """An .xlsm output of an .xlsm input that could not be copied keeps its VBA project."""
    if path.suffix.lower() != ".xlsm":
        return []
    try:
        with zipfile.ZipFile(table.path) as archive:
            project = archive.read("xl/vbaProject.bin")
    except (OSError, KeyError, zipfile.BadZipFile):
        return ["The input's macros could not be read again and are not in the output."]
    book.add_vba_project(io.BytesIO(project), is_stream=True)
    return []


def _uncarried(table: Table, path: Path) -> list[str]:
    if table.format == "xlsm" and path.suffix.lower() != ".xlsm":
        return [
            "The input's macros are not carried over: the output is an .xlsx workbook "
            f"(-o {table.path.stem}.enriched.xlsm keeps them)."
        ]
    if table.format in CARRIED_FORMATS or len(table.sheets) < 2:
        return []
    return [
        f"The other sheets of a .{table.format} input are not carried over; "
        "save it as .xlsx first to keep them."
    ]


# -- the enriched sheet ----------------------------------------------------------------------


def _write_data(
    sheet: Any,
    table: Table,
    kind: Kind,
    names: Sequence[str],
    values: Sequence[Sequence[str | int | None]],
    styles: _Styles,
    top: int = 0,
    looks: dict[int, tuple[float | None, bool]] | None = None,
) -> list[str]:
    """The header on row `top` (0-based; rows above it hold the input's title rows), then the
    data rows with their appended cells: where they were in an input workbook (blank rows
    between them stay), else one after the other."""
    headers = [*output_headers(table), *names]
    _set_widths(sheet, table, headers, values, looks or {})
    for j, header in enumerate(headers):
        sheet.write_string(top, j, header, styles.header)
    sheet.freeze_panes(top + 1, 0)
    places = _places(table, top)
    sheet.autofilter(top, 0, places[-1] if places else top, len(headers) - 1)
    links = LinkBudget()
    writers = [_writer(role, styles, links) for role in columns_for(kind)]
    start, cut = len(table.headers), 0
    numeric = plain_number_columns(table)
    plain, typed = set(numeric), typed_cells(table)
    special = bool(plain or typed)
    for i, (row, cells) in enumerate(zip(places, table.frame.iter_rows(), strict=True)):
        for j, text in enumerate(cells):
            if text is None:
                continue
            if special and j in plain and i not in table.non_data:
                sheet.write_number(row, j, as_number(text))
            elif special and (i, j) in typed:
                _write_typed(sheet, row, j, typed[(i, j)], styles)
            elif sheet.write_string(row, j, text, styles.text) == TRUNCATED:
                cut += 1
        for k, column in enumerate(values):
            if (value := column[i]) is not None:
                writers[k](sheet, row, start + k, value)
    return numbers_note(output_headers(table), numeric) + links.notes() + _cut_note(cut)


def _write_typed(sheet: Any, row: int, col: int, cell: Typed, styles: _Styles) -> None:
    """A cell whose type the input knew: a boolean, or a number in the format it was shown in."""
    if isinstance(cell.value, bool):
        sheet.write_boolean(row, col, cell.value)
    else:
        sheet.write_number(row, col, cell.value, styles.number(cell.num_format))


def _cut_note(cut: int) -> list[str]:
    if not cut:
        return []
    return [
        f"{cut:,} cells are longer than Excel's {CELL_LIMIT:,} characters and were cut short "
        "in the XLSX output; a CSV output keeps them whole."
    ]


def _places(table: Table, top: int) -> list[int]:
    """The 0-based sheet row of each data row: where it was in a workbook input (empty rows kept
    between), one after the other for delimited text (whose row numbers are line numbers)."""
    compact = list(range(top + 1, top + 1 + table.frame.height))
    if table.format not in SHEET_FORMATS:
        return compact
    places = [r - 1 for r in table.source_rows]
    ordered = all(a < b for a, b in zip([top, *places], places, strict=False))
    return places if ordered and len(places) == len(compact) else compact


def _set_widths(
    sheet: Any,
    table: Table,
    headers: Sequence[str],
    values: Sequence[Sequence[object]],
    looks: dict[int, tuple[float | None, bool]],
) -> None:
    """Widths that fit the content; an input workbook's own widths and hidden columns win."""
    sample = [list(col) for col in table.frame.head(WIDTH_SAMPLE).iter_columns()]
    sample += [list(col[:WIDTH_SAMPLE]) for col in values]
    for j, (header, column) in enumerate(zip(headers, sample, strict=True)):
        longest = max((len(str(v)) for v in column if v is not None), default=0)
        width, hidden = looks.get(j, (None, False))
        fit = min(60, max(8, len(header) + 4, longest + 2))
        sheet.set_column(j, j, fit if width is None else width, None, {"hidden": hidden})


def _writer(role: str, styles: _Styles, links: LinkBudget) -> CellWriter:
    if role == "enrichment_status":
        return lambda s, r, c, v: s.write_string(r, c, v, styles.status.get(v, styles.text))
    if role == "enrichment_credits":
        return lambda s, r, c, v: s.write_number(r, c, v)
    if role in ("enriched_email", "enriched_linkedin_url"):
        return _link_writer(styles, links, lambda v: link_target(role, v))
    return lambda s, r, c, v: s.write_string(r, c, str(v), styles.text)


def _link_writer(
    styles: _Styles, links: LinkBudget, target: Callable[[str], str | None]
) -> CellWriter:
    def write(sheet: Any, row: int, col: int, value: Any) -> None:
        url = target(value)
        if url is not None and links.take():
            sheet.write_url(row, col, url, styles.link, string=value)
        else:
            sheet.write_string(row, col, value, styles.text)

    return write


__all__ = ("STATUS_COLOURS", "write_xlsx")
