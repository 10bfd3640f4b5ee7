"""read.ahead: delimited text read in a thread gives what read_table gives, errors included, and
an estimate made from it is the estimate made by reading the file then."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from test_read_plaincsv import assert_same_table

from csv_enrich.errors import InputError
from csv_enrich.models import Connection, EnrichOptions
from csv_enrich.read import read_table
from csv_enrich.read.ahead import read_ahead
from csv_enrich.runner_estimate import estimate_file

LEADS = (
    "Email,First Name,Last Name,Company,Notes\n"
    "ann@acme.io,Ann,Lee,Acme,\"a, b\"\n"
    "bob@acme.io,Bob,Ray,Acme,\n"
    "ANN@acme.io,Ann,Lee,Acme,twice\n"
    "not an email,,,,\n"
    ",,,,\n"
    "Total: 4,,,,\n"
)


@pytest.mark.parametrize("suffix", [".csv", ".tsv", ".txt", ".CSV"])
def test_the_table_read_ahead_is_the_table_read_then(tmp_path: Path, suffix: str) -> None:
    path = tmp_path / f"leads{suffix}"
    text = LEADS.replace(",", "\t") if suffix == ".tsv" else LEADS
    path.write_text(text, encoding="utf-8")
    read = read_ahead(path)
    assert read is not None
    assert_same_table(read(), read_table(path))


def test_a_workbook_is_not_read_ahead(tmp_path: Path) -> None:
    assert read_ahead(tmp_path / "leads.xlsx") is None
    assert read_ahead(tmp_path / "leads.ods", sheet="People") is None


@pytest.mark.parametrize(("name", "content"), [
    ("missing.csv", None), ("empty.csv", b""), ("book.csv", b"PK\x03\x04 a workbook"),
    ("folder.csv", "dir"),
])  # fmt: skip
def test_what_reading_raises_is_raised_when_the_table_is_asked_for(
    tmp_path: Path, name: str, content: bytes | str | None
) -> None:
    path = tmp_path / name
    if content == "dir":
        path.mkdir()
    elif isinstance(content, bytes):
        path.write_bytes(content)
    with pytest.raises(InputError) as then:
        read_table(path)
    read = read_ahead(path)  # nothing raised yet
    assert read is not None
    with pytest.raises(InputError) as ahead:
        read()
    assert str(ahead.value) == str(then.value)


def test_an_estimate_from_the_table_read_ahead_is_the_same(tmp_path: Path) -> None:
    path = tmp_path / "leads.csv"
    path.write_text(LEADS, encoding="utf-8")
    options = EnrichOptions(input=path, connection=Connection(state_dir=tmp_path / "state"))
    ahead, then = estimate_file(options, read=read_ahead(path)), estimate_file(options)
    assert ahead.plan == then.plan
    assert ahead.loaded.columns == then.loaded.columns
    assert_same_table(ahead.loaded.table, then.loaded.table)


def test_the_switch_interval_is_given_back(tmp_path: Path) -> None:
    path = tmp_path / "leads.csv"
    path.write_text(LEADS, encoding="utf-8")
    before = sys.getswitchinterval()
    read = read_ahead(path)
    assert read is not None
    assert sys.getswitchinterval() <= before
    read()
    assert sys.getswitchinterval() == before
    missing = read_ahead(tmp_path / "missing.csv")
    assert missing is not None
    with pytest.raises(InputError):
        missing()
    assert sys.getswitchinterval() == before
