"""Delimited text: encodings, delimiters, quoting, headers, limits and refusals."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from csv_enrich.errors import InputError
from csv_enrich.read import read_table
from csv_enrich.read.table import PLACEHOLDERS


def _write(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


@pytest.mark.parametrize(
    ("encoding", "expected"),
    [("utf-8", "utf-8"), ("utf-8-sig", "utf-8-sig"), ("utf-16", "utf-16"),
     ("utf-16-le", "utf-16-le"), ("utf-16-be", "utf-16-be"), ("cp1252", "cp1252")],
)  # fmt: skip
def test_encodings_are_detected(tmp_path: Path, encoding: str, expected: str) -> None:
    """UTF-8 with or without BOM, UTF-16 with or without BOM and Windows-1252 are all read."""
    text = "Name,Company\r\nJosé Müller,Crème Brûlée SA\r\nZoë Ørsted,Œuvre €\r\n"
    table = read_table(_write(tmp_path, "a.csv", text.encode(encoding)))
    assert table.encoding == expected
    assert table.headers == ("Name", "Company")
    assert table.frame.rows() == [("José Müller", "Crème Brûlée SA"), ("Zoë Ørsted", "Œuvre €")]


def test_cyrillic_windows_1251(tmp_path: Path) -> None:
    """A non-Western single-byte file is not forced into Windows-1252."""
    text = "Имя,Компания\nИван Петров,Рога и копыта\nМария Иванова,Ромашка\n" * 3
    table = read_table(_write(tmp_path, "a.csv", text.encode("cp1251")))
    assert table.headers == ("Имя", "Компания")


@pytest.mark.parametrize("delimiter", [",", ";", "\t", "|"])
def test_delimiters_are_sniffed(tmp_path: Path, delimiter: str) -> None:
    """Comma, semicolon, tab and pipe files are split on the right character."""
    rows = [["Email", "Company", "Note"], ["a@b.co", "Acme, Inc.", "x;y"], ["c@d.co", "B|C", "z"]]
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=delimiter).writerows(rows)
    table = read_table(_write(tmp_path, "a.txt", buffer.getvalue().encode()))
    assert table.delimiter == delimiter
    assert [list(table.headers), *map(list, table.frame.rows())] == rows


def test_blank_headers_and_limit(tmp_path: Path) -> None:
    """A blank header with data under it is named after its column; limit keeps N data rows."""
    data = b"Email,,Company\na@b.co,x,A\nc@d.co,y,B\ne@f.co,z,C\n"
    table = read_table(_write(tmp_path, "a.csv", data), limit=2)
    assert table.headers == ("Email", "Column 2", "Company")
    assert table.frame.height == 2
    assert table.source_rows == (2, 3)


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("a.pdf", b"%PDF-1.4", "unsupported file type '.pdf'; use .csv, .tsv, .txt, .xlsx"),
        ("a.csv", b"PK\x03\x04rest", "this is an Excel workbook, not delimited text"),
        ("a.csv", b"\n\n  \r\n", "the file is empty"),
        ("a.csv", b"a\x00b\x01c\x02" * 400, "this is a binary file"),
    ],
)
def test_refusals_name_the_file_and_the_fix(
    tmp_path: Path, name: str, data: bytes, message: str
) -> None:
    """Files that are not readable text stop with one line naming the file."""
    path = _write(tmp_path, name, data)
    with pytest.raises(InputError) as caught:
        read_table(path)
    assert str(caught.value).startswith(f"{path}: ")
    assert message in str(caught.value)


def test_missing_file_and_folder(tmp_path: Path) -> None:
    """A path that is not there, or is a folder, is an InputError."""
    with pytest.raises(InputError, match="no such file"):
        read_table(tmp_path / "nope.csv")
    folder = tmp_path / "dir.csv"
    folder.mkdir()
    with pytest.raises(InputError, match="is a folder"):
        read_table(folder)


# Left out on purpose: empty and placeholder cells (read as empty) and ="..." cells (read as the
# text inside, as Excel shows them).
_CELL = st.text(
    st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")) | st.sampled_from('\n",;|\t\'='),
    min_size=1, max_size=12,
).filter(lambda s: bool(s.strip()) and s.strip().lower() not in PLACEHOLDERS
         and not (s.startswith('="') and s.endswith('"')))  # fmt: skip


@st.composite
def _files(draw: st.DrawFn) -> tuple[list[list[str]], str, str, str]:
    width = draw(st.integers(2, 5))
    headers = [f"Field {i}" for i in range(width)]
    rows = draw(st.lists(st.lists(_CELL, min_size=width, max_size=width), min_size=1, max_size=8))
    delimiter = draw(st.sampled_from([",", ";", "\t", "|"]))
    encoding = draw(st.sampled_from(["utf-8", "utf-8-sig", "utf-16"]))
    newline = draw(st.sampled_from(["\n", "\r\n"]))
    return [headers, *rows], delimiter, encoding, newline


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_files())
def test_awkward_csv_reads_back_identically(
    tmp_path_factory: pytest.TempPathFactory, file: tuple[list[list[str]], str, str, str]
) -> None:
    """CSV written with awkward text, any delimiter, encoding and line ending reads back as is."""
    rows, delimiter, encoding, newline = file
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=delimiter, lineterminator=newline).writerows(rows)
    path = tmp_path_factory.mktemp("rt") / "a.csv"
    path.write_bytes(buffer.getvalue().encode(encoding))
    table = read_table(path)
    assert [list(table.headers), *map(list, table.frame.rows())] == rows


def test_header_narrower_than_the_data(tmp_path: Path) -> None:
    """A header with unnamed columns is still the header when the data rows are wider."""
    data = b"Report\nEmail,Company\na@b.co,Acme,x,1,2\nc@d.co,Beta,y,3,4\n"
    table = read_table(_write(tmp_path, "a.csv", data))
    assert table.header_row == 2
    assert table.headers == ("Email", "Company", "Column 3", "Column 4", "Column 5")


def test_group_headers_above_the_header(tmp_path: Path) -> None:
    """Group labels over a few columns (merged cells in the export) are skipped."""
    data = b"Contact,,,Company,\nFirst,Last,Email,Name,Site\nA,B,a@b.co,Acme,acme.io\n"
    table = read_table(_write(tmp_path, "a.csv", data))
    assert table.header_row == 2
    assert table.headers == ("First", "Last", "Email", "Name", "Site")


def test_year_headers_are_still_headers(tmp_path: Path) -> None:
    """A header with year columns is not mistaken for data."""
    data = b"Pipeline report\nEmail,Company,2023,2024\na@b.co,Acme,1,2\n"
    table = read_table(_write(tmp_path, "a.csv", data))
    assert table.headers == ("Email", "Company", "2023", "2024")


def test_a_list_without_header_keeps_its_first_row(tmp_path: Path) -> None:
    """A bare list of emails has no header: no row is lost and columns are named by position."""
    data = b"jane@acme.io,Acme\njohn@beta.io,Beta\n"
    table = read_table(_write(tmp_path, "a.csv", data))
    assert table.headers == ("Column 1", "Column 2")
    assert table.header_row == 0
    assert table.source_rows == (1, 2)
    assert table.frame.get_column("Column 1").to_list() == ["jane@acme.io", "john@beta.io"]
