"""The small parts of an XLSX package the enriched workbook changes, edited in place as text.

Each edit inserts elements before a closing tag and bumps a count, so everything else of the part
(namespace declarations, `mc:Ignorable` extensions, attributes csv-enrich does not know) stays
byte for byte: a part re-serialised by an XML library loses what Excel needs to open it. The
styles get the few looks the new cells use; the workbook, its relationships and the content
types get the Summary sheet; a sheet's relationships get the new links.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
REL_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PKG_NS = "http://schemas.openxmlformats.org/package/2006/relationships"
HYPERLINK = REL_NS + "/hyperlink"
WORKSHEET = REL_NS + "/worksheet"
SHEET_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"
HEADER_FILL = "FFF2F2F2"
LINK_COLOUR = "FF0000FF"


class PartShapeError(ValueError):
    """A part is not shaped as the edit expects."""


@dataclass
class Looks:
    """Style indexes (into cellXfs) for the new cells; 0 is the workbook's default look."""

    header: int = 0
    title: int = 0
    text: int = 0
    link: int = 0
    status: dict[str, int] = field(default_factory=dict)


def add_styles(xml: bytes, status_colours: dict[str, tuple[str, str]]) -> tuple[bytes, Looks]:
    """styles.xml with the header, text, link and status looks added (fonts, fills and cell
    formats appended after the workbook's own, whose indexes do not move)."""
    prefix = _prefix(xml, "styleSheet")
    base = _first_child(xml, prefix, "fonts", "font")
    fonts = [_font(base, prefix, bold=True), _font(base, prefix, colour=LINK_COLOUR, under=True)]
    fonts += [_font(base, prefix, colour=_argb(fg)) for _, fg in status_colours.values()]
    fills = [_fill(prefix, HEADER_FILL)] + [
        _fill(prefix, _argb(bg)) for bg, _ in status_colours.values()
    ]
    xml, font0 = append_children(xml, prefix, "fonts", "font", fonts)
    xml, fill0 = append_children(xml, prefix, "fills", "fill", fills)
    xfs = [_xf(prefix, 0, font0, fill0), _xf(prefix, 49, 0, 0), _xf(prefix, 49, font0 + 1, 0)]
    xfs += [_xf(prefix, 49, font0 + 2 + i, fill0 + 1 + i) for i in range(len(status_colours))]
    xml, xf0 = append_children(xml, prefix, "cellXfs", "xf", xfs)
    status = {name: xf0 + 3 + i for i, name in enumerate(status_colours)}
    return xml, Looks(header=xf0, title=xf0, text=xf0 + 1, link=xf0 + 2, status=status)


def _argb(colour: str) -> str:
    return "FF" + colour.lstrip("#").upper()


def _font(
    base: bytes, p: str, *, bold: bool = False, colour: str = "", under: bool = False
) -> bytes:
    """The workbook's default font (size, name, family) with bold, a colour or an underline."""
    inner = re.sub(rb"<(?:\w+:)?(?:b|i|u|strike|color)\b[^>]*/>", b"", base)
    extra = (f"<{p}b/>" if bold else "") + (f"<{p}u/>" if under else "")
    extra += f'<{p}color rgb="{colour}"/>' if colour else ""
    return f"<{p}font>".encode() + extra.encode() + inner + f"</{p}font>".encode()


def _fill(p: str, colour: str) -> bytes:
    return (f'<{p}fill><{p}patternFill patternType="solid"><{p}fgColor rgb="{colour}"/>'
            f'<{p}bgColor indexed="64"/></{p}patternFill></{p}fill>').encode()  # fmt: skip


def _xf(p: str, number_format: int, font: int, fill: int) -> bytes:
    applied = ' applyNumberFormat="1"' if number_format else ""
    applied += ' applyFont="1"' if font else ""
    applied += ' applyFill="1"' if fill else ""
    return (f'<{p}xf numFmtId="{number_format}" fontId="{font}" fillId="{fill}" borderId="0" '
            f'xfId="0"{applied}/>').encode()  # fmt: skip


def _first_child(xml: bytes, prefix: str, block: str, child: str) -> bytes:
    """The inner XML of the first `child` of `block` (b"" when it has none or is empty)."""
    found = _block(xml, prefix, block)
    inner = re.search(
        rf"<{prefix}{child}\b[^>]*?(?:/>|>(.*?)</{prefix}{child}>)".encode(), found.group(3), re.S
    )
    return (inner.group(1) or b"") if inner else b""


def _block(xml: bytes, prefix: str, block: str) -> re.Match[bytes]:
    found = re.search(
        rf"(<{prefix}{block}\b[^>]*?)>(\s*)(.*?)</{prefix}{block}>".encode(), xml, re.S
    )
    if found is None:
        raise PartShapeError(f"no <{block}> block")
    return found


def append_children(
    xml: bytes, prefix: str, block: str, child: str, children: Sequence[bytes]
) -> tuple[bytes, int]:
    """`xml` with `children` added at the end of its `block` element and its count set; the
    index of the first added child."""
    found = _block(xml, prefix, block)
    first = len(re.findall(rf"<{prefix}{child}\b".encode(), found.group(3)))
    start = (
        re.sub(rb'\scount="\d+"', b"", found.group(1))
        + f' count="{first + len(children)}"'.encode()
    )
    body = found.group(2) + found.group(3) + b"".join(children)
    return xml[: found.start()] + start + b">" + body + f"</{prefix}{block}>".encode() + xml[
        found.end() :
    ], first


def _prefix(xml: bytes, root: str) -> str:
    """The namespace prefix of the part's elements ("" or e.g. "x:")."""
    found = re.search(rf"<(\w+:)?{root}\b".encode(), xml)
    if found is None:
        raise PartShapeError(f"no <{root}>")
    return (found.group(1) or b"").decode()


def prefix_for(xml: bytes, namespace: str) -> str | None:
    """The prefix the part's root binds to `namespace` ("r:"), "" when it is the default
    namespace, None when the root does not declare it."""
    root = re.search(rb"<(?:\w+:)?\w+\b[^>]*>", re.sub(rb"<\?.*?\?>", b"", xml, count=1))
    if root is None:
        return None
    found = re.search(rb'xmlns(?::(\w+))?="' + re.escape(namespace.encode()) + rb'"', root.group())
    if found is None:
        return None
    return f"{found.group(1).decode()}:" if found.group(1) else ""


def insert_before_close(xml: bytes, tag: str, insert: bytes) -> bytes:
    """`insert` placed just before the last closing `tag` (any prefix) of the part."""
    closes = list(re.finditer(rf"</(?:\w+:)?{tag}>".encode(), xml))
    if not closes:
        raise PartShapeError(f"no </{tag}>")
    at = closes[-1].start()
    return xml[:at] + insert + xml[at:]


# -- the workbook: a new sheet ------------------------------------------------------------------


def relationship(rel_id: str, kind: str, target: str, *, external: bool = False) -> bytes:
    mode = ' TargetMode="External"' if external else ""
    return (f'<Relationship Id="{rel_id}" Type="{kind}" Target="{_attr(target)}"{mode}/>').encode()


def free_id(xml: bytes, stem: str) -> str:
    """A relationship id the part does not use yet."""
    used = set(re.findall(rb'\bId="([^"]*)"', xml))
    n = 1
    while f"{stem}{n}".encode() in used:
        n += 1
    return f"{stem}{n}"


def add_sheet(
    workbook: bytes, rels: bytes, types: bytes, name: str, member: str
) -> tuple[bytes, bytes, bytes]:
    """workbook.xml, its relationships and [Content_Types].xml with the sheet `name` (part
    `member`, e.g. xl/worksheets/sheet9.xml) added as the last sheet."""
    rel_id = free_id(rels, "rIdCsvEnrich")
    rels = insert_before_close(rels, "Relationships", relationship(rel_id, WORKSHEET, "/" + member))
    ids = [int(i) for i in re.findall(rb'<(?:\w+:)?sheet\b[^>]*?\bsheetId="(\d+)"', workbook)]
    prefix = _prefix(workbook, "workbook")
    r = prefix_for(workbook, REL_NS)
    declare = f' xmlns:r="{REL_NS}"' if r is None else ""
    sheet_id = max(ids, default=0) + 1
    entry = (f'<{prefix}sheet name="{_attr(name)}" sheetId="{sheet_id}"{declare} '
             f'{r or "r:"}id="{rel_id}"/>')  # fmt: skip
    workbook = insert_before_close(workbook, "sheets", entry.encode())
    override = f'<Override PartName="/{member}" ContentType="{SHEET_TYPE}"/>'.encode()
    return workbook, rels, insert_before_close(types, "Types", override)


def new_rels(relationships: Sequence[bytes]) -> bytes:
    return (b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            + f'<Relationships xmlns="{PKG_NS}">'.encode() + b"".join(relationships)
            + b"</Relationships>")  # fmt: skip


def _attr(value: str) -> str:
    return (value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
            .replace('"', "&quot;"))  # fmt: skip


# -- the tail of the enriched sheet: links ------------------------------------------------------

# What may follow <hyperlinks> in a worksheet (CT_Worksheet's order).
_AFTER_LINKS = ("printOptions", "pageMargins", "pageSetup", "headerFooter", "rowBreaks",
                "colBreaks", "customProperties", "cellWatches", "ignoredErrors", "smartTags",
                "drawing", "legacyDrawing", "legacyDrawingHF", "drawingHF", "picture",
                "oleObjects", "controls", "webPublishItems", "tableParts", "extLst")  # fmt: skip


def add_links(tail: bytes, prefix: str, r: str | None, links: Sequence[tuple[str, str]]) -> bytes:
    """The sheet's tail (from </sheetData>) with <hyperlink> elements for (cell, relationship
    id) pairs, in the sheet's <hyperlinks> or a new one where the schema wants it."""
    declare = f' xmlns:r="{REL_NS}"' if r is None else ""
    entries = b"".join(
        f'<{prefix}hyperlink ref="{ref}"{declare} {r or "r:"}id="{rel_id}"/>'.encode()
        for ref, rel_id in links
    )
    if re.search(rf"</{prefix}hyperlinks>".encode(), tail):
        return insert_before_close(tail, "hyperlinks", entries)
    block = f"<{prefix}hyperlinks>".encode() + entries + f"</{prefix}hyperlinks>".encode()
    names = "|".join(_AFTER_LINKS)
    found = re.search(rf"<{prefix}(?:{names})\b".encode(), tail)
    if found is None:
        return insert_before_close(tail, "worksheet", block)
    return tail[: found.start()] + block + tail[found.start() :]


# -- a sheet written from scratch: the Summary -------------------------------------------------


class XmlSheet:
    """Just what write_summary calls on a worksheet, kept in memory and written as sheet XML
    with inline strings (the Summary is small)."""

    def __init__(self) -> None:
        self.cells: dict[int, dict[int, bytes]] = {}
        self.widths: dict[int, float] = {}

    def set_column(self, first: int, last: int, width: float, *_: object) -> None:
        for col in range(first, last + 1):
            self.widths[col] = width

    def write_string(self, row: int, col: int, text: str, style: int | None = None) -> None:
        from csv_enrich.output.xlsx_rows import text_cell
        from csv_enrich.read.workbook import column_letter as column_letters

        ref = f"{column_letters(col)}{row + 1}"
        self.cells.setdefault(row, {})[col] = text_cell("", ref, text, style)

    def write_number(self, row: int, col: int, value: float, style: int | None = None) -> None:
        from csv_enrich.output.xlsx_rows import number_cell
        from csv_enrich.read.workbook import column_letter as column_letters

        ref = f"{column_letters(col)}{row + 1}"
        self.cells.setdefault(row, {})[col] = number_cell("", ref, value, style)

    def xml(self) -> bytes:
        cols = "".join(
            f'<col min="{c + 1}" max="{c + 1}" width="{w + 0.7109375}" customWidth="1"/>'
            for c, w in sorted(self.widths.items())
        )
        rows = b"".join(
            f'<row r="{r + 1}">'.encode()
            + b"".join(v for _, v in sorted(cells.items()))
            + b"</row>"
            for r, cells in sorted(self.cells.items())
        )
        return (b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
                + f'<worksheet xmlns="{MAIN_NS}" xmlns:r="{REL_NS}">'.encode()
                + (f"<cols>{cols}</cols>".encode() if cols else b"")
                + b"<sheetData>" + rows + b"</sheetData>"
                + b'<pageMargins left="0.7" right="0.7" top="0.75" bottom="0.75" header="0.3" '
                  b'footer="0.3"/></worksheet>')  # fmt: skip
