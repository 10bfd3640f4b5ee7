"""The drop folder's parts on real files: filters, settling, settings, names, claims, the day's
spending. No API involved."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from csv_enrich.errors import UsageError
from csv_enrich.watch.claim import Claims
from csv_enrich.watch.filters import DropFilter, InboxFilter, unsupported
from csv_enrich.watch.layout import Folder, free_name, move_into, safe_name
from csv_enrich.watch.settings import DEFAULT_FILE_CAP, Settings, SettingsError, read_settings
from csv_enrich.watch.settle import Settler
from csv_enrich.watch.spend import SpendBook


@pytest.mark.parametrize("name", [
    "~$leads.xlsx", ".leads.csv", ".DS_Store", "leads.csv.tmp", "leads.xlsx.part",
    "leads.csv.crdownload", "leads.csv.download", "leads.csv.approved",
    "leads.csv.needs-approval.txt", "leads.csv.waiting.txt", "Thumbs.db", "desktop.ini",
])
def test_names_that_are_never_taken(name: str) -> None:
    """Lock files, dotfiles, downloads in progress, system files and the folder's own notes."""
    assert not DropFilter()(name)


@pytest.mark.parametrize("name", ["leads.csv", "Leads 2024.XLSX", "export.tsv", "a.txt",
                                  "notes.pdf", "no-extension"])
def test_names_that_are_taken(name: str) -> None:
    """Anything else is a dropped file (unsupported ones are taken to be refused)."""
    assert DropFilter()(name)


def test_unsupported_files_get_a_reason_with_the_fix() -> None:
    """A PDF is refused with what to do instead; spreadsheets are not."""
    assert unsupported("leads.csv") is None
    assert unsupported("Leads.XLSX") is None
    reason = unsupported("notes.pdf")
    assert reason is not None
    assert "'.pdf'" in reason
    assert ".xlsx or .csv" in reason


@given(st.text(min_size=0, max_size=40))
def test_safe_names_are_one_plain_component(name: str) -> None:
    """Whatever the name, the result is one file name that cannot climb out of its folder."""
    flat = safe_name(name)
    assert flat
    assert "/" not in flat
    assert "\\" not in flat
    assert "\x00" not in flat
    assert not flat.startswith(".")
    assert Path("/base", flat).parent == Path("/base")


def test_a_taken_name_gets_a_timestamp_and_a_link_counts_as_taken(tmp_path: Path) -> None:
    """archive/leads.csv taken: the next one is leads-<timestamp>.csv; a symbolic link named
    like the target is never written through."""
    (tmp_path / "leads.csv").write_text("old")
    assert free_name(tmp_path, "leads", (".csv",)).startswith("leads-")
    outside = tmp_path.parent / "outside.txt"
    os.symlink(outside, tmp_path / "report.csv")
    source = tmp_path / "new.csv"
    source.write_text("new")
    moved = move_into(source, tmp_path, "report.csv")
    assert moved.name != "report.csv"
    assert moved.read_text() == "new"
    assert not outside.exists()


def test_a_symlinked_outbox_is_refused(tmp_path: Path) -> None:
    """FOLDER/outbox pointing elsewhere would write outside FOLDER: refused, named."""
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (tmp_path / "drop").mkdir()
    os.symlink(elsewhere, tmp_path / "drop" / "outbox")
    with pytest.raises(UsageError, match="outbox is a symbolic link"):
        Folder(tmp_path / "drop").create()


def test_a_file_settles_only_when_its_size_and_time_stand_still(tmp_path: Path) -> None:
    """Growing resets the clock; two quiet seconds later it is ready."""
    now = [100.0]
    settler = Settler(2.0, clock=lambda: now[0])
    path = tmp_path / "leads.csv"
    path.write_text("Email\n")
    assert settler.observe([path]) == []
    now[0] += 1.5
    with path.open("a") as fh:
        fh.write("a@b.io\n")
    assert settler.observe([path]) == []
    now[0] += 1.9
    assert settler.observe([path]) == []
    assert settler.pending()
    now[0] += 0.2
    assert settler.observe([path]) == [path]
    assert not settler.pending()


def test_settings_absent_mean_the_defaults(tmp_path: Path) -> None:
    """No csv-enrich.toml: partial, auto, the default per-file cap, no daily cap."""
    settings = read_settings(tmp_path / "csv-enrich.toml")
    assert settings == Settings()
    assert settings.max_credits_per_file == DEFAULT_FILE_CAP
    assert settings.max_credits_per_day is None


def test_settings_are_read_with_their_key_names(tmp_path: Path) -> None:
    """Every documented key is read."""
    path = tmp_path / "csv-enrich.toml"
    path.write_text('type = "full"\nkind = "person"\nmax_credits_per_file = 50\n'
                    'max_credits_per_day = 400\n[map]\n"Work Mail" = "email"\n')
    settings = read_settings(path)
    assert settings.enrichment_type == "full"
    assert settings.kind == "person"
    assert (settings.max_credits_per_file, settings.max_credits_per_day) == (50, 400)
    assert settings.mapping_overrides == {"Work Mail": "email"}


@pytest.mark.parametrize(("text", "message"), [
    ("max_credit_per_file = 5\n", "unknown setting 'max_credit_per_file'"),
    ('type = "cheap"\n', "type = 'cheap' is not one of"),
    ("max_credits_per_day = -1\n", "must be a whole number of credits"),
    ('max_credits_per_file = "100"\n', "must be a whole number of credits"),
    ('[map]\n"Mail" = "emale"\n', "the field must be one of"),
    ("type = \n", "is not valid TOML"),
])
def test_invalid_settings_name_the_key_and_the_fix(tmp_path: Path, text: str,
                                                   message: str) -> None:
    """A misspelt cap is an error, not silently no cap."""
    path = tmp_path / "csv-enrich.toml"
    path.write_text(text)
    with pytest.raises(SettingsError, match=message):
        read_settings(path)


def test_two_claims_on_one_file_one_wins(tmp_path: Path) -> None:
    """Two watchers' claims on one file: exactly one gets it."""
    (tmp_path / "inbox").mkdir()
    dropped = tmp_path / "inbox" / "leads.csv"
    dropped.write_text("Email\n")
    first, second = Claims(tmp_path / "processing"), Claims(tmp_path / "processing")
    try:
        got = [first.claim(dropped), second.claim(dropped)]
    finally:
        first.close()
        second.close()
    assert got[0] is not None
    assert got[0].read_text() == "Email\n"
    assert got[1] is None


def test_a_dead_watchers_files_are_adopted_a_live_ones_are_not(tmp_path: Path) -> None:
    """A watcher still running keeps its files; a killed one's are adopted by the next; one on
    another machine (whose life cannot be seen from here) keeps them too."""
    processing = tmp_path / "processing"
    code = ("import sys, time; from pathlib import Path; from csv_enrich.watch.claim import "
            "Claims; c = Claims(Path(sys.argv[1])); (c.mine / 'live.csv').write_text('x'); "
            "print('ready', flush=True); time.sleep(60)")
    live = subprocess.Popen([sys.executable, "-c", code, str(processing)],
                            stdout=subprocess.PIPE, text=True)
    try:
        assert live.stdout is not None
        assert live.stdout.readline().strip() == "ready"
        from csv_enrich.watch.claim import _host

        dead = processing / f"{_host()}-1-abc"
        elsewhere = processing / "otherhost-7-def"
        elsewhere.mkdir()
        (elsewhere / "theirs.csv").write_text("z")
        dead.mkdir()
        (dead / ".owner").write_text("")
        (dead / "dead.csv").write_text("y")
        claims = Claims(processing)
        adopted = claims.orphans()
        assert [p.name for p in adopted] == ["dead.csv"]
        assert claims.elsewhere() == [elsewhere]
        assert not dead.exists()
        live.kill()
        live.wait()
        assert [p.name for p in claims.orphans()] == ["live.csv"]
        claims.close()
    finally:
        live.kill()
        live.wait()
        if live.stdout is not None:
            live.stdout.close()


def test_the_daily_book_counts_reservations_until_settled(tmp_path: Path) -> None:
    """A reservation counts in full until settled; a refused one books nothing; a replay of a
    settled run books nothing; a resumed run takes over its killed attempt's reservation."""
    book = SpendBook(tmp_path / "spend.json", tmp_path / "spend.lock")
    assert book.reserve("run-a", 20, 30) == (True, 0)
    assert book.reserve("run-b", 20, 30) == (False, 20)
    assert book.spent_today() == 20
    assert book.settle("run-a", 16) == 16
    assert book.spent_today() == 16
    assert book.reserve("run-a", 20, 40) == (True, 16)  # dropped again
    assert book.settle("run-a", 16) == 0
    assert book.reserve("run-c", 10, None) == (True, 16)  # killed half-way
    assert book.spent_today() == 26
    assert book.spent_today("run-c") == 16
    assert book.reserve("run-c", 10, None) == (True, 16)  # resumed: not counted twice
    assert book.spent_today() == 26
    assert book.settle("run-c", 7) == 7
    assert book.spent_today() == 23


def test_the_watch_package_calls_the_runner_never_the_cli_and_is_watchfiles_home() -> None:
    """watch/ imports nothing above it (cli) nor the sandbox; watchfiles is imported only
    there; `csv-enrich --help` does not import it."""
    import ast

    package = Path(__file__).resolve().parents[1] / "csv_enrich"
    for path in package.rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        names = {n.module or "" for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
        names |= {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
        if any(name.split(".")[0] == "watchfiles" for name in names):
            assert path.parent.name == "watch", f"{path} imports watchfiles"
        if path.parent.name == "watch":
            assert not any(name.startswith(("csv_enrich.cli", "csv_enrich.sandbox"))
                           for name in names), path
    code = ("import sys; from csv_enrich.cli.commands import main; "
            "print('watchfiles' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_events_are_recognised_when_the_folder_is_given_relative(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """QA: `csv-enrich watch Leads` (a relative path) gets absolute event paths; inbox
    entries and the settings file still wake it, the log file and dotfiles do not."""
    from watchfiles import Change

    (tmp_path / "Leads" / "inbox").mkdir(parents=True)
    monkeypatch.chdir(tmp_path)
    wake = InboxFilter(Path("Leads/inbox"), Path("Leads/csv-enrich.toml"))
    root = tmp_path / "Leads"
    assert wake(Change.added, str(root / "inbox" / "leads.csv"))
    assert wake(Change.modified, str(root / "csv-enrich.toml"))
    assert not wake(Change.modified, str(root / "csv-enrich.log"))
    assert not wake(Change.added, str(root / "inbox" / ".leads.csv.tmp"))


def test_the_template_and_the_readme_example_are_valid_settings() -> None:
    """The commented template parses to the defaults, each of its lines uncommented parses, and
    the README's example is valid too (the documented key names are the real ones)."""
    import re
    import tomllib

    from csv_enrich.watch.settings import TEMPLATE, parse_settings

    assert parse_settings(tomllib.loads(TEMPLATE)) == Settings()
    lines = TEMPLATE.splitlines()
    for line in lines:
        if re.match(r"# \w+ = ", line):
            parse_settings(tomllib.loads(line[2:].split("  #")[0]))
    mapping = "\n".join(line[2:].split("  #")[0] for line in lines if line.startswith("# ["))
    mapping += '\n"Work Email" = "email"\n'
    assert parse_settings(tomllib.loads(mapping)).mapping_overrides == {"Work Email": "email"}
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    section = readme.split("### Settings: `FOLDER/csv-enrich.toml`", 1)[1]
    example = section.split("```toml\n", 1)[1].split("```", 1)[0]
    settings = parse_settings(tomllib.loads(example))
    assert settings.max_credits_per_file == 500
    for key in ("type", "kind", "max_credits_per_file", "max_credits_per_day", "[map]"):
        assert f"`{key}`" in section
