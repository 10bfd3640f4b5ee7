"""The drop folder end to end in-process: real files in a temporary folder, the sandbox over
loopback HTTP, `once` or a stop event to end the loop."""

from __future__ import annotations

import os
import shutil
import threading
import time
from collections import Counter
from pathlib import Path

import pytest

from csv_enrich.errors import UsageError
from csv_enrich.models import Connection
from csv_enrich.sandbox import SandboxServer
from csv_enrich.watch import Job, WatchOptions, watch_folder
from tests.conftest import SAMPLES
from tests.test_engine_helpers import FAST

PEOPLE = "Email,First Name\n" + "".join(f"p{n}@firm{n % 3}.io,P{n}\n" for n in range(12))


def base(server: SandboxServer, state_dir: Path) -> Job:
    """What every file's run starts from: the sandbox, a private state dir, fast polling."""
    conn = Connection(base_url=server.base_url, api_key=server.api_key, state_dir=state_dir,
                      rate_limit_per_min=6000)
    return Job(connection=conn, tuning=FAST)


def once(folder: Path, server: SandboxServer, state_dir: Path) -> list[str]:
    """Run the watcher over what inbox holds; return its log lines."""
    lines: list[str] = []
    watch_folder(WatchOptions(folder, base(server, state_dir), settle=0, once=True),
                 echo=lines.append)
    return lines


def drop(folder: Path, name: str, text: str = PEOPLE) -> Path:
    (folder / "inbox").mkdir(parents=True, exist_ok=True)
    path = folder / "inbox" / name
    path.write_text(text)
    return path


def charges(server: SandboxServer) -> Counter[str]:
    return Counter(c["identity"] for c in server.ledger()["charges"] if c["credits"])


def events(lines: list[str], event: str) -> list[str]:
    return [line for line in lines if f"  {event} " in line]


def test_a_dropped_csv_and_xlsx_come_back_enriched_in_their_format(
        fast_sandbox: SandboxServer, state_dir: Path, tmp_path: Path) -> None:
    """Both files: enriched copy + report in outbox, original in archive, inbox empty, and the
    log says picked up, estimate and done with the credits, also in csv-enrich.log."""
    folder = tmp_path / "drop"
    drop(folder, "people.csv")
    (folder / "inbox").mkdir(exist_ok=True)
    shutil.copy(SAMPLES / "leads.xlsx", folder / "inbox" / "leads.xlsx")
    lines = once(folder, fast_sandbox, state_dir)
    assert sorted(p.name for p in (folder / "outbox").iterdir()) == [
        "leads.enriched.report.json", "leads.enriched.xlsx",
        "people.enriched.csv", "people.enriched.report.json"]
    assert sorted(p.name for p in (folder / "archive").iterdir()) == ["leads.xlsx",
                                                                      "people.csv"]
    assert list((folder / "inbox").iterdir()) == []
    assert (folder / "archive" / "people.csv").read_text() == PEOPLE
    assert "enriched_email" in (folder / "outbox" / "people.enriched.csv").read_text()
    assert len(events(lines, "picked up")) == 2
    assert len(events(lines, "estimate")) == 2
    done = events(lines, "done")
    charged = fast_sandbox.ledger()["charged_total"]
    assert sum(int(line.split("; ")[1].split()[0].replace(",", "")) for line in done) == charged
    logged = (folder / "csv-enrich.log").read_text()
    assert all(line in logged for line in lines)
    assert fast_sandbox.api_key not in logged


def test_what_is_not_a_dropped_file_stays_and_unsupported_files_fail_with_the_reason(
        fast_sandbox: SandboxServer, state_dir: Path, tmp_path: Path) -> None:
    """Lock files, dotfiles and downloads in progress are left alone, and so is a file that is
    no spreadsheet for its first seconds (Excel saves through an extensionless temp file); a
    PDF that has been there a while and an empty CSV go to failed with an error note saying
    what to do; nothing is charged."""
    folder = tmp_path / "drop"
    for name in ("~$leads.xlsx", ".hidden.csv", "big.csv.crdownload", "half.csv.part"):
        drop(folder, name)
    old = time.time() - 60
    os.utime(drop(folder, "notes.pdf", "%PDF"), (old, old))
    drop(folder, "A1B2C3D4", "PK")
    drop(folder, "empty.csv", "")
    lines = once(folder, fast_sandbox, state_dir)
    assert sorted(p.name for p in (folder / "inbox").iterdir()) == [
        ".hidden.csv", "A1B2C3D4", "big.csv.crdownload", "half.csv.part", "~$leads.xlsx"]
    assert sorted(p.name for p in (folder / "failed").iterdir()) == [
        "empty.csv", "empty.csv.error.txt", "notes.pdf", "notes.pdf.error.txt"]
    assert "the file is empty" in (folder / "failed" / "empty.csv.error.txt").read_text()
    assert "save the sheet as .xlsx or .csv" in (
        folder / "failed" / "notes.pdf.error.txt").read_text()
    assert len(events(lines, "failed")) == 2
    assert not any("empty.csv: empty.csv" in line for line in lines)  # named once
    assert str(folder / "inbox") not in (folder / "failed" / "empty.csv.error.txt").read_text()
    assert fast_sandbox.ledger()["charges"] == []


def test_a_file_over_the_per_file_cap_waits_for_approval_then_runs(
        fast_sandbox: SandboxServer, state_dir: Path, tmp_path: Path) -> None:
    """Cap 5, estimate 12: nothing is spent and a note says rows, estimate and how to approve;
    after `<name>.approved` it runs and the notes are gone."""
    folder = tmp_path / "drop"
    folder.mkdir()
    (folder / "csv-enrich.toml").write_text("max_credits_per_file = 5\n")
    drop(folder, "people.csv")
    lines = once(folder, fast_sandbox, state_dir)
    note = folder / "inbox" / "people.csv.needs-approval.txt"
    text = note.read_text()
    assert "Rows: 12" in text
    assert "Estimate: up to 12 credits" in text
    assert "people.csv.approved" in text
    assert "max_credits_per_file" in text
    assert events(lines, "waiting")
    assert fast_sandbox.ledger()["charges"] == []
    assert (folder / "inbox" / "people.csv").exists()

    (folder / "inbox" / "people.csv.approved").write_text("")
    lines = once(folder, fast_sandbox, state_dir)
    assert events(lines, "done"), lines
    assert list((folder / "inbox").iterdir()) == []
    assert 0 < fast_sandbox.ledger()["charged_total"] <= 12


def test_an_approval_covers_the_estimate_it_was_given_for(
        fast_sandbox: SandboxServer, state_dir: Path, tmp_path: Path) -> None:
    """Approved at 12 credits, then replaced by a bigger file under the same name: it asks
    again (the approval is withdrawn) and nothing is spent."""
    folder = tmp_path / "drop"
    folder.mkdir()
    (folder / "csv-enrich.toml").write_text("max_credits_per_file = 5\n")
    drop(folder, "people.csv")
    once(folder, fast_sandbox, state_dir)
    (folder / "inbox" / "people.csv.approved").write_text("")
    drop(folder, "people.csv", PEOPLE + "".join(f"q{n}@more{n}.io,Q{n}\n" for n in range(12)))
    lines = once(folder, fast_sandbox, state_dir)
    assert events(lines, "waiting"), lines
    assert "up to 24 credits" in (folder / "inbox" / "people.csv.needs-approval.txt").read_text()
    assert not (folder / "inbox" / "people.csv.approved").exists()
    assert fast_sandbox.ledger()["charges"] == []


def test_raising_the_cap_lets_a_waiting_file_run(fast_sandbox: SandboxServer, state_dir: Path,
                                                 tmp_path: Path) -> None:
    """The settings are read again for every file: raise the cap, the file runs."""
    folder = tmp_path / "drop"
    folder.mkdir()
    settings = folder / "csv-enrich.toml"
    settings.write_text("max_credits_per_file = 5\n")
    drop(folder, "people.csv")
    once(folder, fast_sandbox, state_dir)
    settings.write_text("max_credits_per_file = 12\n")
    assert events(once(folder, fast_sandbox, state_dir), "done")


def test_the_daily_cap_holds_across_files(fast_sandbox: SandboxServer, state_dir: Path,
                                          tmp_path: Path) -> None:
    """Two files of up to 12 credits, a day of 20: the first runs, the second waits with a
    note; the folder's spend never passes the cap."""
    folder = tmp_path / "drop"
    folder.mkdir()
    (folder / "csv-enrich.toml").write_text("max_credits_per_day = 20\n")
    drop(folder, "a.csv")
    drop(folder, "b.csv", PEOPLE.replace("@firm", "@other"))
    lines = once(folder, fast_sandbox, state_dir)
    assert len(events(lines, "done")) == 1
    assert len(events(lines, "waiting")) == 1
    waiting = list((folder / "inbox").glob("*.waiting.txt"))
    assert len(waiting) == 1
    assert "runs by itself tomorrow" in waiting[0].read_text()
    assert fast_sandbox.ledger()["charged_total"] <= 20


def test_invalid_settings_are_logged_and_the_files_wait(
        fast_sandbox: SandboxServer, state_dir: Path, tmp_path: Path) -> None:
    """A misspelt key: one log line naming it, nothing run, the files wait (with --once: an
    error, exit 2, so that cron sees it); fixed, it runs."""
    folder = tmp_path / "drop"
    folder.mkdir()
    settings = folder / "csv-enrich.toml"
    settings.write_text("max_credit_per_file = 5\n")
    drop(folder, "people.csv")
    lines: list[str] = []
    with pytest.raises(UsageError, match=r"unknown setting 'max_credit_per_file'.*1 file waits"):
        watch_folder(WatchOptions(folder, base(fast_sandbox, state_dir), settle=0, once=True),
                     echo=lines.append)  # --once exits 2 (cron sees it), not 0
    assert any("unknown setting 'max_credit_per_file'" in line
               for line in events(lines, "settings"))
    assert (folder / "inbox" / "people.csv").exists()
    settings.write_text("max_credits_per_file = 50\n")
    assert events(once(folder, fast_sandbox, state_dir), "done")


def test_the_settings_choose_type_kind_and_mapping(
        fast_sandbox: SandboxServer, state_dir: Path, tmp_path: Path) -> None:
    """A column no synonym knows is mapped in csv-enrich.toml; the type is phone_only."""
    folder = tmp_path / "drop"
    folder.mkdir()
    (folder / "csv-enrich.toml").write_text(
        'type = "phone_only"\nkind = "person"\n[map]\n"Kontakt" = "email"\n')
    drop(folder, "odd.csv", "Kontakt\n" + "".join(f"k{n}@acme.io\n" for n in range(3)))
    lines = once(folder, fast_sandbox, state_dir)
    assert "(phone_only), up to 30 credits" in events(lines, "estimate")[0]
    assert events(lines, "done")


def test_a_file_dropped_again_is_not_paid_again_and_its_names_get_a_timestamp(
        fast_sandbox: SandboxServer, state_dir: Path, tmp_path: Path) -> None:
    """The same file twice: the second costs nothing; archive and outbox keep both."""
    folder = tmp_path / "drop"
    drop(folder, "people.csv")
    once(folder, fast_sandbox, state_dir)
    before = fast_sandbox.ledger()["charged_total"]
    drop(folder, "people.csv")
    lines = once(folder, fast_sandbox, state_dir)
    assert fast_sandbox.ledger()["charged_total"] == before
    assert "; 0 credits charged" in events(lines, "done")[0]
    assert len(list((folder / "archive").iterdir())) == 2
    assert len(list((folder / "outbox").glob("people.enriched*.csv"))) == 2
    assert all(n == 1 for n in charges(fast_sandbox).values())


def test_links_and_odd_names_never_make_it_write_outside_the_folder(
        fast_sandbox: SandboxServer, state_dir: Path, tmp_path: Path) -> None:
    """A symbolic link in inbox goes to failed as a link (its target untouched); a name with
    backslashes and dots is enriched with every output inside the folder."""
    folder = tmp_path / "drop"
    outside = tmp_path / "outside.csv"
    outside.write_text(PEOPLE)
    drop(folder, "x\\..\\..\\evil.csv")
    os.symlink(outside, folder / "inbox" / "link.csv")
    lines = once(folder, fast_sandbox, state_dir)
    assert outside.read_text() == PEOPLE
    assert (folder / "failed" / "link.csv").is_symlink()
    assert "symbolic link" in (folder / "failed" / "link.csv.error.txt").read_text()
    assert events(lines, "done")
    written = {p.resolve() for p in tmp_path.rglob("*")} - {outside.resolve()}
    assert all(folder.resolve() in p.parents or p == folder.resolve() or
               state_dir.resolve() in p.parents or p == state_dir.resolve() for p in written)
    assert any(p.name.endswith("evil.enriched.csv") for p in (folder / "outbox").iterdir())


@pytest.mark.parametrize("poll", [False, True])
def test_the_watcher_takes_a_file_only_once_it_is_complete(
        fast_sandbox: SandboxServer, state_dir: Path, tmp_path: Path, poll: bool) -> None:
    """Watching (events, or --poll) with a stop event: a file written slowly is taken after it
    stood still, with every row; a .part download renamed when done is taken too; the stop
    event ends it."""
    folder = tmp_path / "drop"
    (folder / "inbox").mkdir(parents=True)
    stop = threading.Event()
    lines: list[str] = []
    options = WatchOptions(folder, base(fast_sandbox, state_dir), settle=0.6, poll=poll)
    watcher = threading.Thread(target=watch_folder, args=(options,),
                               kwargs={"stop": stop, "echo": lines.append})
    watcher.start()
    try:
        slow = folder / "inbox" / "slow.csv"
        with slow.open("w") as fh:
            for line in PEOPLE.splitlines(keepends=True):
                fh.write(line)
                fh.flush()
                time.sleep(0.1)
        part = folder / "inbox" / "fast.csv.part"
        part.write_text(PEOPLE.replace("@firm", "@dl"))
        part.rename(folder / "inbox" / "fast.csv")
        deadline = time.monotonic() + 60
        while len(events(lines, "done")) < 2:
            assert time.monotonic() < deadline, lines
            time.sleep(0.1)
    finally:
        stop.set()
        watcher.join(timeout=30)
    assert not watcher.is_alive()
    out = (folder / "outbox" / "slow.enriched.csv").read_text()
    assert len(out.splitlines()) == 13
    assert all(f"p{n}@firm" in out for n in range(12))
    assert not list((folder / "processing").glob("*/*"))


def test_two_watchers_on_one_folder_take_each_file_once(
        fast_sandbox: SandboxServer, state_dir: Path, tmp_path: Path) -> None:
    """Two watchers at once over six files: each file is enriched and archived exactly once,
    and nobody is charged twice."""
    folder = tmp_path / "drop"
    for n in range(6):
        drop(folder, f"f{n}.csv", PEOPLE.replace("@firm", f"@f{n}-"))
    logs: list[list[str]] = [[], []]
    threads = [threading.Thread(target=lambda log=log: watch_folder(
        WatchOptions(folder, base(fast_sandbox, state_dir), settle=0, once=True),
        echo=log.append)) for log in logs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert sorted(p.name for p in (folder / "archive").iterdir()) == [
        f"f{n}.csv" for n in range(6)]
    assert len(list((folder / "outbox").glob("*.enriched.csv"))) == 6
    assert sum(len(events(log, "done")) for log in logs) == 6
    assert all(n == 1 for n in charges(fast_sandbox).values())


def test_a_watcher_stopped_mid_file_resumes_it_on_restart_without_paying_twice(
        tmp_path: Path, state_dir: Path) -> None:
    """The stop event mid-file leaves it in processing/; the next start puts it back, resumes
    the same run, and the ledger charges everybody once."""
    from csv_enrich.sandbox import SandboxConfig

    config = SandboxConfig(credits=100_000, time_scale=0.3, rate_limit_per_min=100_000,
                           org_rate_limit_per_min=100_000)
    with SandboxServer(config) as server:
        folder = tmp_path / "drop"
        drop(folder, "people.csv", "Email\n" + "".join(f"x{n}@corp{n}.io\n" for n in range(30)))
        stop = threading.Event()
        lines: list[str] = []
        options = WatchOptions(folder, base(server, state_dir), settle=0)
        watcher = threading.Thread(target=watch_folder, args=(options,),
                                   kwargs={"stop": stop, "echo": lines.append})
        watcher.start()
        deadline = time.monotonic() + 60
        while not server.ledger()["requests"] or not events(lines, "estimate"):
            assert time.monotonic() < deadline, lines
            time.sleep(0.02)
        stop.set()
        watcher.join(timeout=60)
        assert events(lines, "stopped"), lines
        assert list((folder / "processing").glob("*/people.csv"))
        assert list((folder / "outbox").iterdir()) == []  # no half-done file to pick up
        again = once(folder, server, state_dir)
        assert events(again, "resuming"), again
        assert events(again, "done"), again
        assert (folder / "archive" / "people.csv").exists()
        assert all(n == 1 for n in charges(server).values())


def test_a_refused_key_puts_the_file_back_and_pauses(
        fast_sandbox: SandboxServer, state_dir: Path, tmp_path: Path) -> None:
    """Not the file's fault (the key is refused): it goes back to inbox, not to failed; the
    log says why, without the key."""
    folder = tmp_path / "drop"
    drop(folder, "people.csv")
    wrong = "clapi_" + "x" * 48
    conn = Connection(base_url=fast_sandbox.base_url, api_key=wrong, state_dir=state_dir,
                      rate_limit_per_min=6000)
    lines: list[str] = []
    watch_folder(WatchOptions(folder, Job(connection=conn, tuning=FAST), settle=0, once=True),
                 echo=lines.append)
    assert (folder / "inbox" / "people.csv").read_text() == PEOPLE
    assert list((folder / "failed").iterdir()) == []
    assert events(lines, "paused"), lines
    assert wrong not in (folder / "csv-enrich.log").read_text()
    assert fast_sandbox.ledger()["charges"] == []


def test_a_failure_outside_the_run_is_logged_once_and_the_watcher_goes_on(
        fast_sandbox: SandboxServer, state_dir: Path, tmp_path: Path) -> None:
    """failed/ replaced by a file while watching: refusing a PDF fails; that is logged once,
    the PDF stays in inbox, and the next good file is still enriched."""
    folder = tmp_path / "drop"
    (folder / "inbox").mkdir(parents=True)
    stop = threading.Event()
    lines: list[str] = []
    options = WatchOptions(folder, base(fast_sandbox, state_dir), settle=0.2)
    watcher = threading.Thread(target=watch_folder, args=(options,),
                               kwargs={"stop": stop, "echo": lines.append})
    watcher.start()
    try:
        deadline = time.monotonic() + 30
        while not (folder / "failed").is_dir():
            assert time.monotonic() < deadline
            time.sleep(0.05)
        (folder / "failed").rmdir()
        (folder / "failed").write_text("in the way")
        old = time.time() - 60
        os.utime(drop(folder, "notes.pdf", "%PDF"), (old, old))
        while not events(lines, "error"):
            assert time.monotonic() < deadline, lines
            time.sleep(0.05)
        drop(folder, "people.csv")
        while not events(lines, "done"):
            assert time.monotonic() < deadline, lines
            time.sleep(0.05)
    finally:
        stop.set()
        watcher.join(timeout=30)
    assert len(events(lines, "error")) == 1
    assert (folder / "inbox" / "notes.pdf").exists()
