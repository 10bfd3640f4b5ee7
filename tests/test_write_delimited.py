"""Delimited output gives every input cell back as it was: the records' own text (quotes, line
breaks inside cells, line endings, BOM, delimiter), blank lines blank, then the appended cells."""

from __future__ import annotations

import csv
import io
import tempfile
from pathlib import Path

import pytest
from hypothesis import assume, example, given, settings
from hypothesis import strategies as st
from test_read_plaincsv import csv_texts

from csv_enrich.models import PERSON_COLUMNS, Outcome
from csv_enrich.output import delimited
from csv_enrich.output.write import write_output
from csv_enrich.read import read_table
from csv_enrich.read import text as read_csv
from csv_enrich.read.rawtext import field_starts, records
from csv_enrich.read.table import Table

NOT_FOUND_TAIL = ["", "", "", "", "", "", "", "not_found", "", "0"]
HEAD = list(PERSON_COLUMNS)


def rows_for(table: Table) -> list[Outcome]:
    """Not found for every data row; the rows that are not data stay so (as the plan says)."""
    return [Outcome("", "not_data") if i in table.non_data else Outcome(f"k{i}", "not_found")
            for i in range(table.frame.height)]


def enrich(tmp_path: Path, data: bytes, name: str = "in.csv", out: str = "out.csv") -> bytes:
    """Write `data`, read it, write the output with every data row not found; its bytes."""
    src = tmp_path / name
    src.write_bytes(data)
    table = read_table(src)
    write_output(table, "person", rows_for(table), tmp_path / out)
    return (tmp_path / out).read_bytes()


def tail(sep: str = ",", quoted: bool = False) -> str:
    return sep + sep.join(f'"{c}"' if quoted else c for c in NOT_FOUND_TAIL)


def head(sep: str = ",", quoted: bool = False) -> str:
    return sep + sep.join(f'"{c}"' if quoted else c for c in HEAD)


def test_blank_lines_come_back_blank(tmp_path: Path) -> None:
    """Regression: a blank line between contacts came back as ',,,,' (delimiters only)."""
    data = b"Email,Name\na@x.io,Ann\n\nb@x.io,Bob\n\n\nc@x.io,Cy\n"
    got = enrich(tmp_path, data).decode()
    t = tail()
    assert got == (f"Email,Name,{','.join(HEAD)}\na@x.io,Ann{t}\n\nb@x.io,Bob{t}\n\n\n"
                   f"c@x.io,Cy{t}\n")


def test_crlf_and_bom_kept(tmp_path: Path) -> None:
    """Regression: CRLF line endings came back as LF; a BOM stays a BOM."""
    data = "\ufeffEmail,Name\r\na@x.io,Ann\r\n\r\nb@x.io,Zoë\r\n".encode()
    got = enrich(tmp_path, data)
    t = tail()
    assert got == (f"\ufeffEmail,Name,{','.join(HEAD)}\r\na@x.io,Ann{t}\r\n\r\n"
                   f"b@x.io,Zoë{t}\r\n").encode()


def test_quoted_crlf_in_a_cell_is_byte_for_byte(tmp_path: Path) -> None:
    """Regression: a quoted cell holding CRLF came back with LF."""
    data = b'Email,Address\r\na@x.io,"1 Main St\r\nSpringfield"\r\nb@x.io,"x\ny\rz"\r\n'
    got = enrich(tmp_path, data).decode()
    assert '"1 Main St\r\nSpringfield",' in got
    assert '"x\ny\rz",' in got
    back = list(csv.reader(io.StringIO(got, newline="")))
    assert [r[:2] for r in back[1:]] == [["a@x.io", "1 Main St\r\nSpringfield"],
                                         ["b@x.io", "x\ny\rz"]]


@pytest.mark.parametrize(("name", "out", "sep"), [
    ("in.csv", "out.csv", ";"), ("in.tsv", "out.tsv", "\t"), ("in.txt", "out.txt", "|"),
])
def test_delimiter_kept_and_used_by_the_appended_columns(
        tmp_path: Path, name: str, out: str, sep: str) -> None:
    """A ';', tab or '|' file comes back in its delimiter, the appended columns too, with its
    quotes as written (also those a value did not need)."""
    lines = [f"Email{sep}Name{sep}Note", f'a@x.io{sep}"Ann"{sep}"a{sep}b"', f"b@x.io{sep}Bob{sep}"]
    got = enrich(tmp_path, ("\r\n".join(lines) + "\r\n").encode(), name, out).decode()
    t = tail(sep)
    want = [lines[0] + head(sep), lines[1] + t, lines[2] + t]
    assert got == "\r\n".join(want) + "\r\n"


def test_all_quoted_input_gets_all_quoted_appended_cells(tmp_path: Path) -> None:
    """Salesforce quotes every field; the appended header and cells are quoted the same way."""
    data = b'"Email","Name"\r\n"a@x.io","Ann"\r\n'
    got = enrich(tmp_path, data).decode()
    quoted = ",".join(f'"{h}"' for h in HEAD)
    cells = ",".join(f'"{c}"' for c in NOT_FOUND_TAIL)
    assert got == f'"Email","Name",{quoted}\r\n"a@x.io","Ann",{cells}\r\n'


def test_final_line_without_newline_stays_so(tmp_path: Path) -> None:
    data = b"Email,Name\na@x.io,Ann"
    assert enrich(tmp_path, data).decode() == f"Email,Name,{','.join(HEAD)}\na@x.io,Ann{tail()}"


def test_trailing_delimiters_and_short_rows_line_up(tmp_path: Path) -> None:
    """A trailing delimiter stays (its empty cell is a cell of the file); a short row is padded
    so its appended cells sit under their headers."""
    data = b"Email,Name,\na@x.io,Ann,\nb@x.io\n"
    got = enrich(tmp_path, data).decode()
    t = tail()
    assert got == f"Email,Name,,{','.join(HEAD)}\na@x.io,Ann,{t}\nb@x.io,,{t}\n"
    back = list(csv.reader(io.StringIO(got)))
    assert {len(r) for r in back} == {3 + len(HEAD)}


def test_excel_sep_line_title_rows_and_footer_kept(tmp_path: Path) -> None:
    data = (b"sep=;\r\nLeads report;;\r\n\r\nEmail;Name\r\na@x.io;Ann\r\n"
            b"Grand Totals (1 record);\r\n")
    got = enrich(tmp_path, data).decode()
    assert got == ("sep=;\r\nLeads report;;\r\n\r\n" f"Email;Name;{';'.join(HEAD)}\r\n"
                   f"a@x.io;Ann{tail(';')}\r\nGrand Totals (1 record);\r\n")


def test_formula_like_input_cells_come_back_as_written(tmp_path: Path) -> None:
    """Regression (the guard changed input cells: '@jsmith', '- called twice' came back with an
    apostrophe): a delimited file's cells come back byte for byte, `=`, `@`, `-` first or not;
    ="00123" (how exports keep zeros) too. The guard is for the API's values."""
    data = b'Email,Note,Zip,Phone,Handle\r\n' \
           b'a@x.io,"=HYPERLINK(""x"")",="00123",+1 415 555 0123,@ann\r\n' \
           b'b@x.io,@SUM(A1),"02134",-12.5,- called twice\r\n'
    got = enrich(tmp_path, data)
    body = data.split(b"\r\n")[1:3]
    lines = got.split(b"\r\n")
    assert [line[:len(b)] for line, b in zip(lines[1:3], body, strict=True)] == body
    assert [line[len(b):] for line, b in zip(lines[1:3], body, strict=True)] == [
        tail().encode()] * 2


def test_formula_like_cells_of_a_delimited_file_stay_in_another_delimiter(tmp_path: Path) -> None:
    """Written from the cells (a .csv written as .tsv), a delimited file's cells stay as they
    were too: they were text a spreadsheet reads the same way in either."""
    data = b"Email,Note\na@x.io,=1+2\nb@x.io,@bob\n"
    got = enrich(tmp_path, data, out="out.tsv").decode()
    assert got.split("\n")[1:3] == ["a@x.io\t=1+2" + tail("\t"), "b@x.io\t@bob" + tail("\t")]


def test_a_workbooks_text_cells_are_guarded_in_delimited_output(tmp_path: Path) -> None:
    """A workbook's text cell '=1+2' was text; written to CSV it would become a formula, so it
    gets the apostrophe there (and nowhere else)."""
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["Email", "Note"])
    sheet.append(["a@x.io", "@bob"])
    sheet["B2"].data_type = "s"
    sheet.append(["b@x.io", "plain"])
    book.save(tmp_path / "in.xlsx")
    table = read_table(tmp_path / "in.xlsx")
    write_output(table, "person", rows_for(table), tmp_path / "out.csv")
    lines = (tmp_path / "out.csv").read_text(encoding="utf-8-sig").splitlines()
    assert lines[1:3] == ["a@x.io,'@bob" + tail(), "b@x.io,plain" + tail()]


def test_a_file_changed_after_reading_is_written_from_its_cells(tmp_path: Path) -> None:
    """The records are copied only from the file as it was read; changed since, the output is
    written from the cells read (never another file's text), in the input's line ending."""
    src = tmp_path / "in.csv"
    src.write_bytes(b"Email,Name\r\na@x.io,\"Ann\"\r\n")
    table = read_table(src)
    src.write_bytes(b"Email,Name\r\nz@x.io,Zed\r\nq@x.io,Q\r\n")
    write_output(table, "person", rows_for(table), tmp_path / "out.csv")
    got = (tmp_path / "out.csv").read_bytes().decode()
    assert got == f"Email,Name,{','.join(HEAD)}\r\na@x.io,Ann{tail()}\r\n"


def test_a_file_gone_after_reading_is_written_from_its_cells(tmp_path: Path) -> None:
    src = tmp_path / "in.csv"
    src.write_bytes(b"Email,Name\r\na@x.io,Ann\r\n\r\n")
    table = read_table(src)
    src.unlink()
    write_output(table, "person", rows_for(table), tmp_path / "out.csv")
    got = (tmp_path / "out.csv").read_bytes().decode()
    assert got == f"Email,Name,{','.join(HEAD)}\r\na@x.io,Ann{tail()}\r\n"


def test_a_file_without_header_gets_one_in_its_line_ending(tmp_path: Path) -> None:
    """No header in the file: the output names the columns first, then every record as it was."""
    data = b"ann@acme.io,Ann\r\n\r\nbob@example.com,Bob\r\n"
    got = enrich(tmp_path, data).decode()
    assert got == (f"Column 1,Column 2,{','.join(HEAD)}\r\nann@acme.io,Ann{tail()}\r\n\r\n"
                   f"bob@example.com,Bob{tail()}\r\n")


def test_another_delimiter_is_written_from_the_cells(tmp_path: Path) -> None:
    """CSV in, TSV out: the cells as read, blank lines blank, the input's line ending."""
    data = b'Email,Note\r\na@x.io,"x\r\ny"\r\n\r\nb@x.io,"a,b"\r\n'
    got = enrich(tmp_path, data, out="out.tsv").decode()
    t = tail("\t")
    assert got == (f"Email\tNote\t{chr(9).join(HEAD)}\r\na@x.io\t\"x\r\ny\"{t}\r\n\r\n"
                   f"b@x.io\ta,b{t}\r\n")


# -- properties ------------------------------------------------------------------------------

chars = st.sampled_from(list("ab é1,;|\t\"'\r\n") + ["\u2028"])
plain = st.text(st.sampled_from(list("ab é1'")), min_size=1, max_size=5)


@st.composite
def cell_texts(draw: st.DrawFn, sep: str) -> str:
    """One cell as a file would hold it: plain, quoted although it need not be, or quoted
    because it holds the delimiter, a quote or a line break."""
    value = draw(st.one_of(plain, st.text(chars, max_size=6)))
    value = "a" + value if value[:1] in ("\t", "\r") else value  # guarded: another test
    needs = any(c in value for c in (sep, '"', "\r", "\n")) or value[:1] in (" ", "'")
    if needs or draw(st.booleans()):
        return '"' + value.replace('"', '""') + '"'
    return value


@st.composite
def files(draw: st.DrawFn) -> tuple[str, str, list[str]]:
    """(text, delimiter, header fields): a header, data rows of its width and blank lines, in
    one line ending, maybe without a final line ending."""
    sep = draw(st.sampled_from([",", ";", "\t", "|"]))
    width = draw(st.integers(1, 4))
    header = [f"H{j}" if draw(st.booleans()) else f'"H{j}"' for j in range(width)]
    body = draw(st.lists(st.one_of(
        st.just(""),
        st.lists(cell_texts(sep), min_size=width, max_size=width).map(sep.join),
    ), min_size=1, max_size=6))
    first = draw(st.lists(plain, min_size=width, max_size=width))
    lines = [sep.join(header), sep.join(first), *body]
    end = draw(st.sampled_from(["\n", "\r\n"]))
    text = end.join(lines) + draw(st.sampled_from(["", end]))
    return text, sep, header


@settings(max_examples=150, deadline=None)
@given(files(), st.booleans())
@example(('Email,Note\r\na,"x\r\ny"\r\n\r\nb,c\r\n', ",", ["Email", "Note"]), False)
def test_every_record_comes_back_as_written(case: tuple[str, str, list[str]], bom: bool) -> None:
    """The output is the input's text with the appended cells after each data row's last field
    (and the names after the header): every other character as it was."""
    text, sep, header = case
    quoted = all(h.startswith('"') for h in header)  # the appended cells are quoted like it
    name = {",": "in.csv", ";": "in.csv", "\t": "in.tsv", "|": "in.txt"}[sep]
    with tempfile.TemporaryDirectory() as folder:
        src = Path(folder) / name
        src.write_bytes((b"\xef\xbb\xbf" if bom else b"") + text.encode())
        table = read_table(src)
        assume(table.delimiter == sep)  # a file of one column does not say its delimiter
        out = Path(folder) / ("out" + src.suffix)
        write_output(table, "person", rows_for(table), out)
        got = out.read_bytes().decode()
        raw = list(records(src, table.encoding or "utf-8", sep))
    expected = ["\ufeff"] if bom else []
    data_rows = iter(range(table.frame.height))
    for rec in raw:
        if rec.line == table.header_row:
            expected.append(rec.body + head(sep, quoted) + rec.end)
        elif rec.line in table.source_rows and next(data_rows) not in table.non_data:
            expected.append(rec.body + tail(sep, quoted) + rec.end)
        else:
            expected.append(rec.body + rec.end)
    assert got == "".join(expected)
    assert "".join(r.body + r.end for r in raw) == text  # the records are the file, whole


@settings(max_examples=400, deadline=None)
@given(st.sampled_from([",", ";", "\t", "|"]), st.data())
def test_records_split_the_file_as_the_reader_does(sep: str, data: st.DataObject) -> None:
    """rawtext.records gives read/text's records (fields and line numbers), and their texts
    put together are the whole file."""
    text, _ = data.draw(csv_texts())
    if "\x00" in text:
        return
    prefix = data.draw(st.sampled_from(["", "", f"sep={sep}\r\n", f"sep={sep}\n"]))
    text = prefix + text
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "in.csv"
        path.write_bytes(text.encode("utf-8", "surrogatepass"))
        hint = read_csv.SEP_LINE.match(text)
        want = read_csv.split_records(path, text[hint.end():] if hint else text, sep, None)
        got = list(records(path, "utf-8", sep))
    assert [(r.line, r.fields) for r in got] == want
    assert "".join(r.body + r.end for r in got) == text


@settings(max_examples=400, deadline=None)
@given(st.lists(st.one_of(st.text(st.sampled_from(list('a,"\n\r ')), max_size=5),
                          st.text(st.sampled_from(list('a,"\n ')), max_size=5).map(
                              lambda s: '"' + s.replace('"', '""') + '"')), min_size=1,
                max_size=5))
def test_field_starts_find_each_field(parts: list[str]) -> None:
    """An apostrophe put where field_starts says each field begins (inside its opening quote)
    is read back as the first character of every field, the rest unchanged."""
    body = ",".join(p.replace("\r", "").replace("\n", "") if not p.startswith('"') else p
                    for p in parts)
    fields = next(csv.reader(io.StringIO(body, newline=""), strict=False), [])
    if len(list(csv.reader(io.StringIO(body, newline=""), strict=False))) != 1:
        return  # not one record (a line break outside quotes)
    starts = field_starts(body, ",")
    assert len(starts) == max(1, len(fields))
    marked = body
    for s in reversed(starts):
        at = s + marked.startswith('"', s)
        marked = marked[:at] + "'" + marked[at:]
    back = next(csv.reader(io.StringIO(marked, newline=""), strict=False))
    assert back == ["'" + f for f in (fields or [""])]


@settings(max_examples=60, deadline=None)
@given(files(), st.integers(1, 3), st.sampled_from(["out.csv", "out.tsv"]))
def test_appended_cells_made_a_slice_at_a_time_are_the_same_bytes(
    case: tuple[str, str, list[str]], rows_at_a_time: int, out_name: str,
) -> None:
    """The appended cells are made a slice of rows at a time (memory stays flat on big
    files): any slice size gives the file written in one piece, byte for byte, whether the
    input's records are copied or the rows written from the cells; each row keeps its own."""
    text, sep, _ = case
    name = {",": "in.csv", ";": "in.csv", "\t": "in.tsv", "|": "in.txt"}[sep]
    with tempfile.TemporaryDirectory() as folder:
        src = Path(folder) / name
        src.write_bytes(text.encode())
        table = read_table(src)
        rows = [Outcome("", "not_data") if i in table.non_data else
                Outcome(f"k{i}", "enriched", credits=i, data={"email": f"p{i}@x.io"})
                for i in range(table.frame.height)]
        written = []
        for size in (10**9, rows_at_a_time):
            with pytest.MonkeyPatch.context() as patch:
                patch.setattr(delimited, "TAIL_ROWS", size)
                write_output(table, "person", rows, Path(folder) / out_name)
            written.append((Path(folder) / out_name).read_bytes())
    assert written[0] == written[1]
    assert all(f"p{i}@x.io" in written[1].decode() for i, r in enumerate(rows) if r.data)
