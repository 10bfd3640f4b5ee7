"""read.ahead: delimited text read in a thread gives what read_table gives, errors included, and
an estimate made from it is the estimate made by reading the file then."""

from __future__ import annotations

import contextlib
import gc
import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner
from test_read_plaincsv import assert_same_table

from csv_enrich.cli import commands, process
from csv_enrich.cli.commands import main
from csv_enrich.cli.render import estimate_dict, estimate_lines
from csv_enrich.errors import InputError
from csv_enrich.mapping.columns import has_identifiers
from csv_enrich.models import Connection, EnrichOptions
from csv_enrich.read import Table, read_table
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


def test_a_file_of_another_kind_is_not_read_ahead(tmp_path: Path) -> None:
    assert read_ahead(tmp_path / "leads.pdf") is None
    assert read_ahead(tmp_path / "leads", sheet="People") is None


def _workbooks() -> list[Path]:
    samples = Path(__file__).resolve().parents[1] / "samples"
    return sorted(p for p in samples.rglob("*") if p.suffix.lower() in (".xlsx", ".xlsm", ".xls",
                                                                           ".ods"))  # fmt: skip


def _table_or_refusal(read: Callable[[], Table]) -> object:
    try:
        table = read()
    except InputError as exc:
        return str(exc)
    return table


@pytest.mark.parametrize("path", _workbooks(), ids=lambda p: p.name)
@pytest.mark.parametrize("sheet", [None, "2"])
def test_a_workbook_read_ahead_is_the_workbook_read_then(path: Path, sheet: str | None) -> None:
    """Every sample and trap workbook: the same sheet and Table (the first sheet with
    identifiers, as plan.load picks it), or the same refusal."""
    read = read_ahead(path, sheet=sheet, accept=has_identifiers)
    assert read is not None
    ahead = _table_or_refusal(read)
    then = _table_or_refusal(lambda: read_table(path, sheet=sheet, accept=has_identifiers))
    if isinstance(then, str) or isinstance(ahead, str):
        assert ahead == then
        return
    assert isinstance(ahead, Table)
    assert_same_table(ahead, then)
    assert (ahead.sheet, ahead.sheets, ahead.format) == (then.sheet, then.sheets, then.format)


def test_an_estimate_from_a_workbook_read_ahead_is_the_same(tmp_path: Path) -> None:
    """A workbook whose first sheet holds no identifiers: the estimate is made of the sheet
    that does, read ahead or read then."""
    import xlsxwriter

    path = tmp_path / "leads.xlsx"
    with xlsxwriter.Workbook(str(path)) as book:
        book.add_worksheet("Notes").write_row(0, 0, ["Quarter", "Owner"])
        people = book.add_worksheet("People")
        for i, row in enumerate(LEADS.splitlines()):
            people.write_row(i, 0, row.split(","))
    options = EnrichOptions(input=path, connection=Connection(state_dir=tmp_path / "state"))
    read = read_ahead(path, accept=has_identifiers)
    ahead, then = estimate_file(options, read=read), estimate_file(options)
    assert ahead.loaded.table.sheet == "People"
    assert ahead.plan == then.plan
    assert ahead.loaded.columns == then.loaded.columns
    assert_same_table(ahead.loaded.table, then.loaded.table)


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


@pytest.mark.parametrize("as_json", [True, False])
def test_estimate_prints_what_it_did_and_leaves_the_collector_as_it_was(
    tmp_path: Path, as_json: bool
) -> None:
    """cli.estimating: the lines printed are render's own (made from an estimate read the
    usual way), and the garbage collector it turns off meanwhile is on again after."""
    path = tmp_path / "leads.csv"
    path.write_text(LEADS, encoding="utf-8")
    state = tmp_path / "state"
    args = ["estimate", str(path), "--state-dir", str(state), *(["--json"] if as_json else [])]
    result = CliRunner().invoke(main, args, env={"CLEANLIST_API_KEY": ""})
    assert result.exit_code == 0, result.output
    assert gc.isenabled()
    options = EnrichOptions(input=path, connection=Connection(state_dir=state))
    est = estimate_file(options)
    if as_json:
        expected = json.dumps(estimate_dict(est, rate=30), indent=2, ensure_ascii=False) + "\n"
    else:
        expected = "".join(f"{line}\n" for line in estimate_lines(est, rate=30))
    assert result.output == expected


def test_the_estimate_process_ends_at_once_with_the_same_output(tmp_path: Path) -> None:
    """commands.run ends a finished estimate's process without tearing it down: the same
    bytes on stdout, exit status 0; an estimate that fails exits as before (2, its message)."""
    path = tmp_path / "leads.csv"
    path.write_text(LEADS, encoding="utf-8")
    state = tmp_path / "state"
    env = {**os.environ, "CLEANLIST_API_KEY": ""}
    for extra in (["--json"], []):
        args = ["estimate", str(path), "--state-dir", str(state), *extra]
        done = subprocess.run([sys.executable, "-m", "csv_enrich", *args], capture_output=True,
                              text=True, env=env, check=False)
        in_process = CliRunner().invoke(main, args, env={"CLEANLIST_API_KEY": ""})
        assert (done.returncode, done.stdout, done.stderr) == (0, in_process.output, "")
    failed = subprocess.run([sys.executable, "-m", "csv_enrich", "estimate",
                             str(tmp_path / "missing.csv")], capture_output=True, text=True,
                            env=env, check=False)
    assert failed.returncode == 2
    assert "no such file" in failed.stderr


def test_run_ends_at_once_only_after_a_clean_exit(monkeypatch: pytest.MonkeyPatch) -> None:
    """Asked to end at once, run still raises what main raised unless it was a clean exit."""
    ended: list[int] = []
    monkeypatch.setattr(os, "_exit", ended.append)
    for code, at_once in ((0, True), (2, True), (0, False)):
        def fake_main(code: int = code, at_once: bool = at_once) -> None:
            if at_once:
                process.end_at_once()
            raise SystemExit(code)

        monkeypatch.setattr(commands, "main", fake_main)
        with contextlib.suppress(SystemExit):
            commands.run()
        assert ended == ([0] if (code, at_once) == (0, True) else []), (code, at_once)
        ended.clear()


def test_an_estimate_without_a_state_directory_imports_no_journal(tmp_path: Path) -> None:
    """Where the state directory does not exist yet there is no cache and no journal to read:
    the estimate imports none of csv_enrich.journal (default_state_dir lives in models)."""
    src = tmp_path / "leads.csv"
    src.write_text(LEADS, encoding="utf-8")
    code = ("import sys; from csv_enrich.cli.commands import main\n"
            f"main(['estimate', {str(src)!r}, '--json', '--state-dir', "
            f"{str(tmp_path / 'none')!r}], standalone_mode=False)\n"
            "print('journal:', [m for m in sys.modules if m.startswith('csv_enrich.journal')])")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, env={**os.environ, "CLEANLIST_API_KEY": ""})
    assert out.stdout.strip().splitlines()[-1] == "journal: []"
    assert not (tmp_path / "none").exists()
