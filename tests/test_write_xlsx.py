"""write_output to XLSX: text cells, links, colours, the header, other sheets, the Summary sheet."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import openpyxl
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from csv_enrich.models import (
    COMPANY_COLUMNS,
    PERSON_COLUMNS,
    EnrichOptions,
    Outcome,
    Plan,
    RunResult,
)
from csv_enrich.output import xlsx as write_xlsx
from csv_enrich.output import xlsx_links
from csv_enrich.output import xlsx_summary as write_xlsx_summary
from csv_enrich.output.write import write_output
from csv_enrich.read import Table
from csv_enrich.report import build_report

HEADERS = ("Email", "Phone", "Customer ID", "Zip", "Revenue", "Comment")
CELLS = [
    ("jane@acme.io", "+14155550123", "440123456789", "02134", "-12.5", "=1+1"),
    ("bob@b.io", "0049 30 1234567", "000017", "00501", "3.14", "@SUM(A1)"),
    (None, None, None, None, None, "just text"),
]
ROWS = [
    Outcome(
        "email:jane@acme.io",
        "enriched",
        credits=1,
        data={
            "email": "jane.doe@acme.io",
            "phone": "+14155550142",
            "linkedin_url": "https://www.linkedin.com/in/jane-doe",
            "title": "=CMD()",
        },
    ),
    Outcome("email:bob@b.io", "not_found", data={"linkedin_url": "javascript:alert(1)"}),
    Outcome("", "invalid", note="no email, LinkedIn URL or name + company"),
]


def make_table(
    path: Path,
    *,
    fmt: str = "csv",
    sheet: str | None = None,
    sheets: tuple[str, ...] = (),
    rows: int | None = None,
) -> Table:
    """A Table as read.py returns it, built directly."""
    cells = CELLS if rows is None else [CELLS[i % 3] for i in range(rows)]
    frame = pl.DataFrame([list(r) for r in cells], schema=list(HEADERS), orient="row")
    return Table(
        path=path,
        format=fmt,
        frame=frame,
        headers=HEADERS,
        source_rows=tuple(range(2, len(cells) + 2)),
        sheet=sheet,
        sheets=sheets,
    )


def written(tmp_path: Path, table: Table | None = None, **kwargs: object) -> openpyxl.Workbook:
    """Write the rows above to out.xlsx and open the result with openpyxl."""
    out = tmp_path / "out.xlsx"
    write_output(table or make_table(tmp_path / "leads.csv"), "person", ROWS, out, **kwargs)  # type: ignore[arg-type]
    return openpyxl.load_workbook(out)


def test_every_input_cell_is_text(tmp_path: Path) -> None:
    """Phones, IDs, ZIPs and formulas from the input are text cells with the same text; the
    Revenue column, plain numbers only, is numbers (issue 11)."""
    sheet = written(tmp_path)["leads"]
    for r, row in enumerate(CELLS, start=2):
        for c, value in enumerate(row, start=1):
            cell = sheet.cell(r, c)
            if HEADERS[c - 1] == "Revenue" and value is not None:
                assert (cell.value, cell.data_type) == (float(value), "n")
            elif value is not None:
                assert (cell.value, cell.data_type) == (value, "s")
            else:
                assert cell.value is None


def test_api_values_are_text_and_credits_a_number(tmp_path: Path) -> None:
    """A formula-looking title from the API stays text; enrichment_credits is a number cell."""
    sheet = written(tmp_path)["leads"]
    col = {c.value: c.column for c in sheet[1]}
    title = sheet.cell(2, col["enriched_title"])
    credits = sheet.cell(2, col["enrichment_credits"])
    assert (title.value, title.data_type) == ("=CMD()", "s")
    assert (credits.value, credits.data_type) == (1, "n")


def test_header_is_bold_frozen_filterable_and_sized(tmp_path: Path) -> None:
    """Row 1 is bold, frozen and has a filter over every column; widths fit the values."""
    sheet = written(tmp_path)["leads"]
    headers = [c.value for c in sheet[1]]
    assert headers == [*HEADERS, *PERSON_COLUMNS]
    assert all(c.font.b for c in sheet[1])
    assert sheet.freeze_panes == "A2"
    assert sheet.auto_filter.ref == f"A1:{sheet.cell(1, len(headers)).column_letter}4"
    widths = [sheet.column_dimensions[c.column_letter].width for c in sheet[1]]
    assert all(8 <= w <= 60 for w in widths)
    assert widths[0] > len("jane@acme.io")


def test_links_only_for_real_emails_and_linkedin_urls(tmp_path: Path) -> None:
    """Found emails become mailto links, LinkedIn URLs https links; anything else stays text."""
    sheet = written(tmp_path)["leads"]
    col = {c.value: c.column for c in sheet[1]}
    email, linkedin = (
        sheet.cell(2, col["enriched_email"]),
        sheet.cell(2, col["enriched_linkedin_url"]),
    )
    assert email.hyperlink.target == "mailto:jane.doe@acme.io"
    assert linkedin.hyperlink.target == "https://www.linkedin.com/in/jane-doe"
    bad = sheet.cell(3, col["enriched_linkedin_url"])
    assert (bad.value, bad.hyperlink) == ("javascript:alert(1)", None)
    assert sheet.cell(2, 1).hyperlink is None


def test_status_coloured_by_value(tmp_path: Path) -> None:
    """Each enrichment_status has its own fill colour."""
    sheet = written(tmp_path)["leads"]
    col = PERSON_COLUMNS.index("enrichment_status") + len(HEADERS) + 1
    fills = {sheet.cell(r, col).value: sheet.cell(r, col).fill.fgColor.rgb for r in (2, 3, 4)}
    assert fills == {
        s: "FF" + write_xlsx.STATUS_COLOURS[s][0][1:] for s in ("enriched", "not_found", "invalid")
    }


def test_link_limit_falls_back_to_text(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Past Excel's links-per-sheet limit the rest are plain text, and a note says so."""
    monkeypatch.setattr(xlsx_links, "LINK_LIMIT", 1)
    out = tmp_path / "out.xlsx"
    notes = write_output(make_table(tmp_path / "leads.csv"), "person", ROWS, out)
    assert notes[1:] == [
        "Excel allows 1 links per sheet: 1 more emails and LinkedIn URLs are written as plain text."
    ]


def test_company_columns(tmp_path: Path) -> None:
    """A company file gets the company columns, its LinkedIn page as a link."""
    rows = [
        Outcome(
            "domain:acme.io",
            "enriched",
            credits=1,
            data={
                "industry": "Software",
                "employee_count": "250",
                "linkedin_url": "https://linkedin.com/company/acme",
            },
        ),
        Outcome("domain:b.io", "not_found"),
        Outcome("", "invalid", note="no domain"),
    ]
    out = tmp_path / "out.xlsx"
    write_output(make_table(tmp_path / "c.csv"), "company", rows, out)
    sheet = openpyxl.load_workbook(out).active
    assert [c.value for c in sheet[1]][len(HEADERS) :] == list(COMPANY_COLUMNS)
    count = sheet.cell(2, len(HEADERS) + COMPANY_COLUMNS.index("enriched_employee_count") + 1)
    assert (count.value, count.data_type) == ("250", "s")
    link = sheet.cell(2, len(HEADERS) + COMPANY_COLUMNS.index("enriched_linkedin_url") + 1)
    assert link.hyperlink.target == "https://linkedin.com/company/acme"


# -- other sheets of an XLSX input -----------------------------------------------------------


def make_workbook(path: Path) -> None:
    """An input workbook: a Notes sheet before the leads, a hidden Lookup sheet after them."""
    book = openpyxl.Workbook()
    notes = book.active
    notes.title = "Notes"
    notes.append(["Campaign", "Budget", "Start", "Total", "Active"])
    notes.append(["Q3 push", 1500.5, datetime(2026, 7, 1), "=B2*2", True])
    notes["B2"].number_format = "#,##0.00"
    notes["C2"].number_format = "yyyy-mm-dd"
    leads = book.create_sheet("Leads")
    leads.append(list(HEADERS))
    lookup = book.create_sheet("Lookup")
    lookup["A1"] = "00123"
    lookup.sheet_state = "hidden"
    book.save(path)


def test_other_sheets_carried_over(tmp_path: Path) -> None:
    """Values, types, formulas, number formats, order and visibility of other sheets are kept,
    and the sheet the input opened on (issue 11: the input workbook, not a rebuilt copy)."""
    source = tmp_path / "in.xlsx"
    make_workbook(source)
    table = make_table(source, fmt="xlsx", sheet="Leads", sheets=("Notes", "Leads", "Lookup"))
    book = written(tmp_path, table)
    assert book.sheetnames == ["Notes", "Leads", "Lookup"]
    assert book.active.title == "Notes"
    notes = book["Notes"]
    assert [c.value for c in notes[2]] == ["Q3 push", 1500.5, datetime(2026, 7, 1), "=B2*2", True]
    assert [c.data_type for c in notes[2]] == ["s", "n", "d", "f", "b"]
    assert (notes["B2"].number_format, notes["C2"].number_format) == ("#,##0.00", "yyyy-mm-dd")
    assert (book["Lookup"]["A1"].value, book["Lookup"].sheet_state) == ("00123", "hidden")


def test_xls_input_sheets_are_not_carried_and_say_so(tmp_path: Path) -> None:
    """Other sheets of an .xls input cannot be read back; the note says how to keep them."""
    table = make_table(tmp_path / "in.xls", fmt="xls", sheet="Leads", sheets=("Leads", "Notes"))
    notes = write_output(table, "person", ROWS, tmp_path / "out.xlsx")
    assert openpyxl.load_workbook(tmp_path / "out.xlsx").sheetnames == ["Leads"]
    assert notes == [
        "The other sheets of a .xls input are not carried over; save it as .xlsx "
        "first to keep them."
    ]


# -- the Summary sheet -----------------------------------------------------------------------


def a_report(tmp_path: Path, table: Table) -> object:
    """A report for the rows above (one enriched at 1 credit, one not found, one invalid)."""
    from csv_enrich.models import Identity, Invalid, WorkflowRecord

    plan = Plan(
        kind="person",
        enrichment_type="partial",
        mode="rows",
        row_keys=(ROWS[0].key, ROWS[1].key, Invalid(ROWS[2].note)),
        identities=(Identity("person", ROWS[0].key), Identity("person", ROWS[1].key)),
        cached={},
        duplicates=0,
        estimated_max=2,
        run_id="r",
    )
    result = RunResult(
        mode="rows",
        outcomes={r.key: r for r in ROWS[:2]},
        workflows=(
            WorkflowRecord("enrich-1", "completed", 1, 1, 0, "not_applicable"),
            WorkflowRecord("enrich-2", "completed", 1, 0, 1, "not_applicable"),
        ),
        requests=5,
        balance_before=100,
        balance_after=99,
    )
    return build_report(
        options=EnrichOptions(input=table.path),
        table=table,
        plan=plan,
        result=result,
        rows=ROWS,
        output=tmp_path / "out.xlsx",
        started_at=datetime(2026, 11, 26, 14, 0, tzinfo=UTC),
        finished_at=datetime(2026, 11, 26, 14, 1, tzinfo=UTC),
    )


def test_summary_sheet_in_words_and_numbers(tmp_path: Path) -> None:
    """With a report, a last "Summary" sheet states the rows and credits as text and numbers."""
    table = make_table(tmp_path / "leads.csv")
    book = written(tmp_path, table, report=a_report(tmp_path, table))
    assert book.sheetnames == ["leads", "Summary"]
    pairs = {r[0].value: r[1].value for r in book["Summary"].iter_rows(max_col=2) if r[0].value}
    assert pairs["Charged (settled by the API)"] == 1
    assert pairs["Refunded"] == 1
    assert pairs["Balance after"] == 99
    assert pairs["Enriched"] == 1
    assert "Rows: 3 in all; 1 enriched, 1 not found, 1 invalid" in pairs
    assert "enrich-2" in pairs


def test_summary_name_does_not_clash(tmp_path: Path) -> None:
    """An input workbook that already has a "Summary" sheet keeps it; ours gets another name."""
    source = tmp_path / "in.xlsx"
    book = openpyxl.Workbook()
    book.active.title = "Leads"
    book.create_sheet("Summary")["A1"] = "theirs"
    book.save(source)
    table = make_table(source, fmt="xlsx", sheet="Leads", sheets=("Leads", "Summary"))
    out = written(tmp_path, table, report=a_report(tmp_path, table))
    assert out.sheetnames == ["Leads", "Summary", "csv-enrich summary"]
    assert out["Summary"]["A1"].value == "theirs"


def test_csv_sheet_name_is_the_file_name(tmp_path: Path) -> None:
    """A CSV input's rows go to a sheet named after the file (made a legal sheet name)."""
    table = make_table(tmp_path / "leads [march]: final?.csv")
    assert written(tmp_path, table).sheetnames == ["leads _march__ final_"]


def make_styled_workbook(path: Path) -> None:
    """An input whose Notes sheet has styles, widths, heights, merges, a name and a chart."""
    from openpyxl.chart import BarChart, Reference
    from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
    from openpyxl.workbook.defined_name import DefinedName

    book = openpyxl.Workbook()
    book.active.title = "Leads"
    notes = book.create_sheet("Notes")
    notes["A1"] = "Campaign notes"
    notes["A1"].font = Font(bold=True, italic=True, size=14, color="FFC00000")
    notes["A1"].fill = PatternFill("solid", fgColor="FFFFFF00")
    notes["A1"].alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
    notes.merge_cells("A1:C1")
    notes["B3"] = 42
    notes["B3"].border = Border(bottom=Side(style="thin"))
    notes["A5"] = "tall"
    notes.merge_cells("A5:A6")
    notes.column_dimensions["B"].width = 30
    notes.column_dimensions["D"].hidden = True
    notes.row_dimensions[1].height = 40
    book.defined_names["Answer"] = DefinedName("Answer", attr_text="Notes!$B$3")
    chart = BarChart()
    chart.add_data(Reference(notes, min_col=2, min_row=3, max_row=3))
    notes.add_chart(chart, "E5")
    book.save(path)


def test_other_sheets_keep_their_look(tmp_path: Path) -> None:
    """Fonts, fills, borders, alignment, widths, heights, merges (over several rows too),
    names and charts are kept: nothing is lost, so no note."""
    source = tmp_path / "in.xlsx"
    make_styled_workbook(source)
    table = make_table(source, fmt="xlsx", sheet="Leads", sheets=("Leads", "Notes"))
    notes_out = write_output(table, "person", ROWS, tmp_path / "out.xlsx")
    book = openpyxl.load_workbook(tmp_path / "out.xlsx")
    notes = book["Notes"]
    title = notes["A1"]
    assert (title.font.b, title.font.i, title.font.sz, title.font.color.rgb) == (
        True,
        True,
        14,
        "FFC00000",
    )
    assert title.fill.fgColor.rgb == "FFFFFF00"
    assert (title.alignment.horizontal, title.alignment.wrap_text) == ("center", True)
    assert notes["B3"].border.bottom.style == "thin"
    assert [str(r) for r in notes.merged_cells.ranges] == ["A1:C1", "A5:A6"]
    assert abs(notes.column_dimensions["B"].width - 30) < 1
    assert notes.column_dimensions["D"].hidden
    assert notes.row_dimensions[1].height == 40
    assert len(notes._charts) == 1
    assert book.defined_names["Answer"].attr_text == "Notes!$B$3"
    assert notes_out == []


def test_summary_lists_pending_reviews_first_and_caps_the_list(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The Summary sheet shows workflows awaiting a refund review first and points to the JSON
    for the rest when there are many (one per person in rows mode)."""
    import dataclasses

    from csv_enrich.models import WorkflowRecord

    monkeypatch.setattr(write_xlsx_summary, "WORKFLOWS_SHOWN", 1)
    table = make_table(tmp_path / "leads.csv")
    report = a_report(tmp_path, table)
    review = WorkflowRecord("enrich-9", "failed", 1, 1, 0, "pending_review", "Support will look")
    report = dataclasses.replace(report, workflows=(*report.workflows, review))  # type: ignore[type-var]
    sheet = written(tmp_path, table, report=report)["Summary"]
    first = [c.value for c in sheet["A"] if c.value]
    assert first[-2:] == ["enrich-9", "... and 2 more in the report JSON"]


def test_xlsm_macros_are_not_carried_and_say_so(tmp_path: Path) -> None:
    """An .xlsm input's macros cannot live in an .xlsx output; the note says so and how to
    keep them."""
    openpyxl.Workbook().save(tmp_path / "in.xlsm")
    table = make_table(tmp_path / "in.xlsm", fmt="xlsm")
    notes = write_output(table, "person", ROWS, tmp_path / "out.xlsx")
    assert notes == [
        "The input's macros are not carried over: the output is an .xlsx workbook "
        "(-o in.enriched.xlsm keeps them)."
    ]


def test_title_rows_above_the_header_are_kept(tmp_path: Path) -> None:
    """An XLSX whose header is on row 3 keeps its title rows, the data follows it, and the
    view is the input's (no pane frozen, no filter added: issue 11)."""
    from openpyxl.styles import Font

    from csv_enrich.read import read_table

    source = tmp_path / "in.xlsx"
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Leads"
    sheet["A1"] = "Q3 leads export"
    sheet["A1"].font = Font(bold=True, size=16)
    sheet.append([])
    sheet.append(["Email", "Phone"])
    sheet.append(["jane@acme.io", "+14155550123"])
    book.save(source)
    table = read_table(source)
    assert table.header_row == 3
    rows = [Outcome("email:jane@acme.io", "not_found")]
    write_output(table, "person", rows, tmp_path / "out.xlsx")
    out = openpyxl.load_workbook(tmp_path / "out.xlsx")["Leads"]
    assert (out["A1"].value, out["A1"].font.b, out["A1"].font.sz) == ("Q3 leads export", True, 16)
    assert [c.value for c in out[3]][:3] == ["Email", "Phone", "enriched_email"]
    assert [c.value for c in out[4]][:2] == ["jane@acme.io", "+14155550123"]
    assert out.freeze_panes is None
    assert out.auto_filter.ref is None


def test_blank_rows_between_data_rows_stay(tmp_path: Path) -> None:
    """In an XLSX input, each data row is written back on its own row, so blank rows remain
    and "duplicate of row N" points at the row a person sees."""
    from csv_enrich.read import read_table

    source = tmp_path / "in.xlsx"
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["Email"])
    sheet.append(["jane@acme.io"])
    sheet.append([])
    sheet.append(["bob@b.io"])
    book.save(source)
    table = read_table(source)
    assert table.source_rows == (2, 4)
    rows = [Outcome("email:jane@acme.io", "not_found"), Outcome("email:bob@b.io", "not_found")]
    write_output(table, "person", rows, tmp_path / "out.xlsx")
    out = openpyxl.load_workbook(tmp_path / "out.xlsx").active
    assert [out.cell(r, 1).value for r in (2, 3, 4)] == ["jane@acme.io", None, "bob@b.io"]
    status = [c.value for c in out[1]].index("enrichment_status") + 1
    assert [out.cell(r, status).value for r in (2, 3, 4)] == ["not_found", None, "not_found"]


def test_overlong_cells_are_cut_with_a_note(tmp_path: Path) -> None:
    """A cell longer than Excel allows is cut to the limit, and the note says so."""
    frame = pl.DataFrame({"Email": ["x" * 40_000, "ok"]})
    table = Table(
        path=tmp_path / "in.csv", format="csv", frame=frame, headers=("Email",), source_rows=(2, 3)
    )
    rows = [Outcome("a", "not_found"), Outcome("b", "not_found")]
    notes = write_output(table, "person", rows, tmp_path / "out.xlsx")
    assert notes == [
        "1 cells are longer than Excel's 32,767 characters and were cut short in "
        "the XLSX output; a CSV output keeps them whole."
    ]
    sheet = openpyxl.load_workbook(tmp_path / "out.xlsx").active
    assert len(sheet["A2"].value) == write_xlsx.CELL_LIMIT


# U+FFFE and U+FFFF are not XML characters: a workbook can only hold them escaped (_xFFFE_),
# which is how every reader then shows them; they are left out of "any text" here.
cell_text = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\ufffe\uffff"),
    min_size=1, max_size=30,
)


@settings(max_examples=40, deadline=None)
@given(st.lists(cell_text, min_size=1, max_size=5))
def test_any_text_round_trips_as_text(
    tmp_path_factory: pytest.TempPathFactory, texts: list[str]
) -> None:
    """Any text, control characters and formula look-alikes included, is read back by calamine
    exactly as it was and as a string cell."""
    folder = tmp_path_factory.mktemp("rt")
    frame = pl.DataFrame({"Email": texts})
    table = Table(
        path=folder / "in.csv",
        format="csv",
        frame=frame,
        headers=("Email",),
        source_rows=tuple(range(2, len(texts) + 2)),
    )
    write_output(table, "person", [Outcome("k", "not_found")] * len(texts), folder / "o.xlsx")
    back = pl.read_excel(folder / "o.xlsx", engine="calamine", infer_schema_length=0)
    assert back["Email"].to_list() == texts


def test_summary_has_the_writers_notes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """What the writer had to change (here: links past Excel's limit) is noted on the Summary."""
    monkeypatch.setattr(xlsx_links, "LINK_LIMIT", 1)
    table = make_table(tmp_path / "leads.csv")
    book = written(tmp_path, table, report=a_report(tmp_path, table))
    labels = [c.value for c in book["Summary"]["A"] if c.value]
    assert any(str(label).startswith("Excel allows 1 links per sheet") for label in labels)


@settings(max_examples=6, deadline=None)
@given(data=st.lists(st.tuples(
    st.sampled_from(["", "a@b.io", "x.y+z@acme.co.uk", "not an email", "é@ü.de", "a@b.io#x"]),
    st.sampled_from(["", "https://www.linkedin.com/in/jane-doe",
                     "https://linkedin.com/in/a%20b?x=1&y=<2>", "http://linkedin.com/in/x"]),
), min_size=1, max_size=30), limit=st.integers(1, 80))
def test_compact_links_write_what_xlsxwriter_keeps_itself(
        tmp_path_factory: pytest.TempPathFactory, data: list[tuple[str, str]],
        limit: int) -> None:
    """With xlsx_links.CompactLinks holding the links, every part of the workbook is what
    xlsxwriter writes holding its own Url objects (links past the limit as text too)."""
    import zipfile

    rows = [Outcome(f"k{n}", "enriched", data={"email": e, "linkedin_url": li})
            for n, (e, li) in enumerate(data)]
    parts = []
    for compact in (True, False):
        folder = tmp_path_factory.mktemp("links")
        out = folder / "out.xlsx"
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(xlsx_links, "LINK_LIMIT", limit)
            if not compact:
                patch.setattr(write_xlsx, "keep_links_compact", lambda sheet: None)
            write_output(make_table(folder / "leads.csv", rows=len(rows)), "person", rows, out)
        with zipfile.ZipFile(out) as book:
            parts.append({n: book.read(n) for n in book.namelist() if "core.xml" not in n})
    assert parts[0] == parts[1]
    if any(e == "a@b.io" for e, _ in data):
        assert any(b"mailto:a@b.io" in part for part in parts[0].values())
