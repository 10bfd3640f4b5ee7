"""write_output to CSV/TSV, check_writable before spending, and atomic writes."""

from __future__ import annotations

import csv
import os
from pathlib import Path

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from csv_enrich.errors import OutputError
from csv_enrich.models import PERSON_COLUMNS, Outcome
from csv_enrich.output.atomic import atomic_path
from csv_enrich.output.write import check_fits, check_writable, neutralise, write_output
from csv_enrich.read import Table

HEADERS = ("First Name", "Work Email", "Phone", "Zip", "Notes")
CELLS = [
    ("Jane", "jane@acme.io", "+14155550123", "02134", 'Met at the booth; likes "quotes"'),
    ("Bob", None, "-12.5", "00501", "line one\nline two"),
    ("Zoë", "zoe@héllo.de", None, None, '=HYPERLINK("http://evil","x")'),
]
ROWS = [
    Outcome(
        "email:jane@acme.io",
        "enriched",
        credits=1,
        data={"email": "jane.doe@acme.io", "email_status": "valid", "title": "@VP Sales"},
    ),
    Outcome("", "invalid", note="no email, LinkedIn URL or name + company"),
    Outcome("email:zoe@héllo.de", "not_found"),
]


def make_table(
    path: Path, *, delimiter: str | None = ",", fmt: str = "csv", headers: tuple[str, ...] = HEADERS
) -> Table:
    """A Table as read.py returns it, built directly from the cells above."""
    frame = pl.DataFrame([list(r) for r in CELLS], schema=list(headers), orient="row")
    return Table(
        path=path,
        format=fmt,
        frame=frame,
        headers=headers,
        source_rows=(2, 3, 4),
        delimiter=delimiter,
    )


def read_back(path: Path, separator: str = ",") -> pl.DataFrame:
    """The written file as text cells, the way a person's spreadsheet would see the strings."""
    return pl.read_csv(path, separator=separator, infer_schema=False)


def test_original_columns_and_values_untouched(tmp_path: Path) -> None:
    """The input's headers, order and cells come back as they were, then the appended columns."""
    out = tmp_path / "out.csv"
    write_output(make_table(tmp_path / "in.csv"), "person", ROWS, out)
    back = read_back(out)
    assert tuple(back.columns) == HEADERS + PERSON_COLUMNS
    assert back.select(HEADERS[:4]).rows() == [r[:4] for r in CELLS]
    assert back["Notes"].to_list()[:2] == [CELLS[0][4], CELLS[1][4]]


def test_appended_values(tmp_path: Path) -> None:
    """Enriched fields, status, note and credits land in their columns; API text is defused."""
    out = tmp_path / "out.csv"
    write_output(make_table(tmp_path / "in.csv"), "person", ROWS, out)
    back = read_back(out)
    assert back["enriched_email"].to_list() == ["jane.doe@acme.io", None, None]
    assert back["enriched_title"].to_list() == ["'@VP Sales", None, None]
    assert back["enrichment_status"].to_list() == ["enriched", "invalid", "not_found"]
    assert back["enrichment_note"].to_list()[1] == ROWS[1].note
    assert back["enrichment_credits"].to_list() == ["1", "0", "0"]


def test_injection_defused_phones_kept(tmp_path: Path) -> None:
    """A formula cell gets an apostrophe; the E.164 phone and negative number are unchanged."""
    out = tmp_path / "out.csv"
    write_output(make_table(tmp_path / "in.csv"), "person", ROWS, out)
    back = read_back(out)
    assert back["Notes"][2] == "'" + CELLS[2][4]
    assert back["Phone"].to_list() == ["+14155550123", "-12.5", None]


def test_input_delimiter_kept_for_csv(tmp_path: Path) -> None:
    """A semicolon CSV stays a semicolon CSV unless a delimiter is asked for."""
    out = tmp_path / "out.csv"
    write_output(make_table(tmp_path / "in.csv", delimiter=";"), "person", ROWS, out)
    assert out.read_text(encoding="utf-8").splitlines()[0].startswith("First Name;Work Email;")


def test_tsv_uses_tabs_and_workbook_input_uses_commas(tmp_path: Path) -> None:
    """A .tsv output is tab-separated; a workbook input written to .csv gets commas."""
    write_output(make_table(tmp_path / "in.csv", delimiter=";"), "person", ROWS, tmp_path / "o.tsv")
    write_output(
        make_table(tmp_path / "in.xlsx", delimiter=None, fmt="xlsx"),
        "person",
        ROWS,
        tmp_path / "o.csv",
    )
    assert (tmp_path / "o.tsv").read_text(encoding="utf-8").startswith("First Name\tWork Email")
    assert (tmp_path / "o.csv").read_text(encoding="utf-8").startswith("First Name,Work Email")


def test_tab_input_to_csv_gets_commas(tmp_path: Path) -> None:
    """A TSV input written to .csv gets commas (a tab .csv opens as one column in Excel);
    to .txt it keeps its tabs."""
    table = make_table(tmp_path / "in.tsv", delimiter="\t", fmt="tsv")
    write_output(table, "person", ROWS, tmp_path / "o.csv")
    write_output(table, "person", ROWS, tmp_path / "o.txt")
    assert (tmp_path / "o.csv").read_text(encoding="utf-8").startswith("First Name,Work Email")
    assert (tmp_path / "o.txt").read_text(encoding="utf-8").startswith("First Name\tWork Email")


def test_utf8_and_bom(tmp_path: Path) -> None:
    """Output is UTF-8 without a BOM by default, with one when asked (for Excel)."""
    table = make_table(tmp_path / "in.csv")
    write_output(table, "person", ROWS, tmp_path / "plain.csv")
    write_output(table, "person", ROWS, tmp_path / "excel.csv", bom=True)
    plain = (tmp_path / "plain.csv").read_bytes()
    assert not plain.startswith(b"\xef\xbb\xbf")
    assert "Zoë".encode() in plain
    assert (tmp_path / "excel.csv").read_bytes() == b"\xef\xbb\xbf" + plain


def test_clashing_column_gets_a_suffix_and_a_note(tmp_path: Path) -> None:
    """An input column named like an appended one is kept; the new one is renamed and noted."""
    headers = ("First Name", "Work Email", "Phone", "Zip", "Enrichment_Status")
    out = tmp_path / "out.csv"
    notes = write_output(make_table(tmp_path / "in.csv", headers=headers), "person", ROWS, out)
    back = read_back(out)
    assert back["Enrichment_Status"].to_list()[0] == CELLS[0][4]
    assert back["enrichment_status_2"].to_list() == ["enriched", "invalid", "not_found"]
    assert notes == [
        "The input already has a column 'enrichment_status'; the new one is 'enrichment_status_2'."
    ]


def test_row_count_mismatch_is_a_bug(tmp_path: Path) -> None:
    """Fewer outcomes than rows is a programming error, caught before writing anything."""
    with pytest.raises(ValueError, match="2 outcomes for 3 rows"):
        write_output(make_table(tmp_path / "in.csv"), "person", ROWS[:2], tmp_path / "out.csv")
    assert list(tmp_path.iterdir()) == []


# -- check_writable --------------------------------------------------------------------------


def test_writable_paths_pass_and_leave_nothing(tmp_path: Path) -> None:
    """A fresh output and report in a writable folder pass, and the check leaves no file."""
    check_writable(tmp_path / "o.xlsx", tmp_path / "o.report.json", input_path=tmp_path / "i.csv")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("name", ["out.xls", "out.json", "out", "out.ods"])
def test_unsupported_suffix(tmp_path: Path, name: str) -> None:
    """An output suffix we cannot write is refused, and the message lists what is supported."""
    with pytest.raises(OutputError, match=r"\.csv, \.tsv, \.txt or \.xlsx"):
        check_writable(tmp_path / name, tmp_path / "r.json", input_path=tmp_path / "in.csv")


def test_output_naming_the_input_is_refused(tmp_path: Path) -> None:
    """-o naming the input (even spelled differently) is refused with a suggested name."""
    source = tmp_path / "leads.csv"
    source.write_text("Email\na@b.io\n", encoding="utf-8")
    spelled = tmp_path / "sub" / ".." / "leads.csv"
    with pytest.raises(OutputError, match=r"names the input file.*leads\.enriched\.csv"):
        check_writable(spelled, tmp_path / "r.json", input_path=source)


def test_report_naming_the_input_or_output_is_refused(tmp_path: Path) -> None:
    """The report may overwrite neither the input nor the output."""
    source = tmp_path / "leads.csv"
    with pytest.raises(OutputError, match="--report"):
        check_writable(tmp_path / "o.csv", source, input_path=source)
    with pytest.raises(OutputError, match="-o and --report name the same file"):
        check_writable(tmp_path / "o.csv", tmp_path / "o.csv", input_path=source)


def test_missing_folder_and_folder_as_output(tmp_path: Path) -> None:
    """A folder that does not exist, or an output that is a folder, is refused up front."""
    with pytest.raises(OutputError, match="does not exist"):
        check_writable(tmp_path / "nope" / "o.csv", tmp_path / "r.json", input_path=tmp_path / "i")
    (tmp_path / "dir.csv").mkdir()
    with pytest.raises(OutputError, match="is a folder"):
        check_writable(tmp_path / "dir.csv", tmp_path / "r.json", input_path=tmp_path / "i")


def test_path_messages_say_what_is_wrong(tmp_path: Path) -> None:
    """A file where a folder should be, the report naming the input, and -o equal to --report
    each get a message that fits (no "does not exist", no data-file name for a report)."""
    source = tmp_path / "victim.csv"
    source.write_text("Email\na@b.io\n", encoding="utf-8")
    with pytest.raises(OutputError, match=r"victim\.csv' is a file, not a folder"):
        check_writable(source / "x.csv", tmp_path / "r.json", input_path=tmp_path / "i.csv")
    with pytest.raises(OutputError, match=r"names the input file.*e\.g\. out\.report\.json\."):
        check_writable(tmp_path / "out.csv", source, input_path=source)
    with pytest.raises(OutputError, match=r"-o and --report name the same.*--report v2\.report"):
        check_writable(tmp_path / "v2.csv", tmp_path / "v2.csv", input_path=source)


@pytest.mark.skipif(not Path("/proc/self").is_dir(), reason="needs Linux /proc")
def test_folder_refusing_new_files_is_not_called_missing(tmp_path: Path) -> None:
    """-o in a folder that exists but takes no new files (/proc) does not say "No such file"."""
    with pytest.raises(OutputError) as caught:
        check_writable(Path("/proc/x.csv"), tmp_path / "r.json", input_path=tmp_path / "i.csv")
    assert "cannot create files in '/proc' (the system does not allow" in str(caught.value)
    assert "No such file" not in str(caught.value)


@pytest.mark.skipif(not Path("/sys/kernel").is_dir(), reason="needs Linux /sys")
def test_unwritable_folder(tmp_path: Path) -> None:
    """A folder nobody may create files in, root included (Linux's /sys: permission denied, or
    a read-only file system where it is mounted so), is reported before any credit is spent."""
    refused = r"cannot create files in '/sys' \((permission denied|read-only file system)\)"
    with pytest.raises(OutputError, match=refused + "; choose another folder"):
        check_writable(Path("/sys/o.csv"), tmp_path / "r.json", input_path=tmp_path / "i")


# -- atomic writes ---------------------------------------------------------------------------


def _write_then_fail(path: Path) -> None:
    with atomic_path(path) as tmp:
        tmp.write_text("half", encoding="utf-8")
        raise RuntimeError("disk full")


def test_failed_write_keeps_the_old_file_and_leaves_no_temp(tmp_path: Path) -> None:
    """When writing fails half way, the previous output is intact and no temp file remains."""
    out = tmp_path / "out.csv"
    out.write_text("previous\n", encoding="utf-8")
    with pytest.raises(RuntimeError, match="disk full"):
        _write_then_fail(out)
    assert out.read_text(encoding="utf-8") == "previous\n"
    assert [p.name for p in tmp_path.iterdir()] == ["out.csv"]


def test_failed_xlsx_write_keeps_the_old_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An XLSX write that fails as it finishes (the disk is full) leaves the old output alone."""
    import xlsxwriter

    def full_disk(self: xlsxwriter.Workbook) -> None:
        real_close(self)
        raise OSError(28, "No space left on device")

    real_close = xlsxwriter.Workbook.close
    monkeypatch.setattr(xlsxwriter.Workbook, "close", full_disk)
    out = tmp_path / "out.xlsx"
    out.write_bytes(b"previous")
    table = make_table(tmp_path / "in.csv")
    with pytest.raises(OutputError, match=r"No space left on device.*without paying again"):
        write_output(table, "person", ROWS, out)
    assert out.read_bytes() == b"previous"
    assert [p.name for p in tmp_path.iterdir()] == ["out.xlsx"]


def test_output_gets_ordinary_permissions(tmp_path: Path) -> None:
    """The renamed temp file is readable like any new file (0666 less the umask), not 0600."""
    out = tmp_path / "out.csv"
    write_output(make_table(tmp_path / "in.csv"), "person", ROWS, out)
    umask = os.umask(0o022)
    os.umask(umask)
    assert out.stat().st_mode & 0o777 == 0o666 & ~umask


def test_too_many_columns_for_excel(tmp_path: Path) -> None:
    """A table wider than an Excel sheet is refused for .xlsx with a pointer to CSV; CSV is fine."""
    headers = tuple(f"c{i}" for i in range(16_380))
    frame = pl.DataFrame({h: ["x"] for h in headers})
    table = Table(
        path=tmp_path / "in.csv", format="csv", frame=frame, headers=headers, source_rows=(2,)
    )
    with pytest.raises(OutputError, match=r"do not fit in an Excel sheet.*-o wide\.csv"):
        check_fits(table, tmp_path / "wide.xlsx", "person")
    check_fits(table, tmp_path / "wide.csv", "person")


cell_text = st.one_of(
    st.none(), st.text(alphabet=st.characters(exclude_categories=["Cs"]), max_size=12)
)


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.tuples(cell_text, cell_text), min_size=1, max_size=6),
    st.sampled_from([",", ";", "\t", "|"]),
)
def test_any_cells_round_trip(
    tmp_path_factory: pytest.TempPathFactory, cells: list[tuple[str | None, str | None]], sep: str
) -> None:
    """Whatever the text (quotes, delimiters, line breaks, any script), a CSV reader gets back
    each cell as neutralise() made it, with every row in place."""
    folder = tmp_path_factory.mktemp("rt")
    frame = pl.DataFrame(cells, schema=["a", "b"], orient="row")
    table = Table(
        path=folder / "in.csv",
        format="csv",
        frame=frame,
        headers=("a", "b"),
        source_rows=tuple(range(2, len(cells) + 2)),
        delimiter=sep,
    )
    rows = [Outcome(f"k{i}", "not_found") for i in range(len(cells))]
    out = folder / "out.csv"
    write_output(table, "person", rows, out)
    with out.open(newline="", encoding="utf-8") as fh:
        back = list(csv.reader(fh, delimiter="," if sep == "\t" else sep))
    assert back[0][:3] == ["a", "b", "enriched_email"]
    assert [r[:2] for r in back[1:]] == [
        [neutralise(v) if v else "" for v in pair] for pair in cells
    ]


def test_default_output_names(tmp_path: Path) -> None:
    """NAME.enriched.EXT beside the input; .xls/.ods give .xlsx, .xlsm stays .xlsm; a taken
    name (output or its report) moves on to -2, -3."""
    from csv_enrich.output.write import default_output

    assert default_output(tmp_path / "a.csv") == tmp_path / "a.enriched.csv"
    assert default_output(tmp_path / "a.xls") == tmp_path / "a.enriched.xlsx"
    assert default_output(tmp_path / "a.ods") == tmp_path / "a.enriched.xlsx"
    assert default_output(tmp_path / "a.xlsm") == tmp_path / "a.enriched.xlsm"
    (tmp_path / "a.enriched.csv").write_text("x")
    assert default_output(tmp_path / "a.csv") == tmp_path / "a.enriched-2.csv"
    (tmp_path / "a.enriched-2.report.json").write_text("{}")
    assert default_output(tmp_path / "a.csv") == tmp_path / "a.enriched-3.csv"
