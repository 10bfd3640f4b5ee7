"""End to end through the CLI against the sandbox over real loopback HTTP."""

from __future__ import annotations

import csv
import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from csv_enrich.cli.commands import main
from csv_enrich.models import COMPANY_COLUMNS, PERSON_COLUMNS

SAMPLES = Path(__file__).resolve().parents[1] / "samples"


def run(args: list[str], env: dict[str, str] | None = None) -> Result:
    """Run the CLI in-process, as a non-interactive caller (no terminal)."""
    if env and "enrich" not in args[:1] and "estimate" not in args[:1]:
        args = [*args, "--rate-limit", "6000"]  # the test sandbox's limits are out of the way
    return CliRunner().invoke(main, args, env=env or {}, catch_exceptions=False)


def api_env(server: Any) -> dict[str, str]:
    return {"CLEANLIST_API_KEY": server.api_key, "CLEANLIST_BASE_URL": server.base_url}


def read_rows(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8-sig") as fh:
        return list(csv.DictReader(fh))


def settled(ledger: dict[str, Any]) -> int:
    return sum(int(c["credits"]) for c in ledger["charges"])


def test_help_names_every_command_with_an_example() -> None:
    """`--help` and each command's help say what it does with one example."""
    top = run(["--help"])
    assert top.exit_code == 0
    assert "csv-enrich samples/leads.xlsx -o enriched.xlsx --sandbox" in top.output
    for command in ("enrich", "estimate", "sandbox", "balance", "task", "status", "runs"):
        result = run([command, "--help"])
        assert result.exit_code == 0, command
        assert "Example" in result.output, command
        assert "csv-enrich" in result.output, command


def test_no_key_and_no_sandbox_exits_4_with_one_line(tmp_path: Path) -> None:
    """Without a key or --sandbox: one line saying how to set the key, exit 4."""
    result = run([str(SAMPLES / "leads.csv"), "-o", str(tmp_path / "out.csv"), "--yes"])
    assert result.exit_code == 4
    assert "CLEANLIST_API_KEY" in result.output
    assert "--sandbox" in result.output
    assert "Traceback" not in result.output
    assert not (tmp_path / "out.csv").exists()


@pytest.mark.slow
def test_enrich_csv_rows_match_the_sandbox_ledger(fast_sandbox: Any, tmp_path: Path,
                                                  state_dir: Path) -> None:
    """Every row gets a status; credits in the report equal what the sandbox settled."""
    out = tmp_path / "out.csv"
    result = run([str(SAMPLES / "leads.csv"), "-o", str(out), "--yes", "--mode", "rows",
                  "--state-dir", str(state_dir)], api_env(fast_sandbox))
    assert result.exit_code == 0, result.output
    rows = read_rows(out)
    source = read_rows(SAMPLES / "leads.csv")
    assert len(rows) == len(source)
    assert list(rows[0])[: len(source[0])] == list(source[0])
    assert list(rows[0])[len(source[0]):] == list(PERSON_COLUMNS)
    for got, orig in zip(rows, source, strict=True):
        assert {k: got[k] for k in orig} == orig
        assert got["enrichment_status"] in {"enriched", "not_found", "invalid"}
    assert any(r["enriched_email"] for r in rows)
    ledger = fast_sandbox.ledger()
    report = json.loads((tmp_path / "out.report.json").read_text())
    assert report["schema"] == "csv-enrich/report@1"
    assert report["credits"]["charged"] == settled(ledger)
    assert sum(int(r["enrichment_credits"] or 0) for r in rows) == settled(ledger)
    charged = Counter(c["identity"] for c in ledger["charges"] if c["credits"])
    assert all(n == 1 for n in charged.values()), charged


@pytest.mark.slow
def test_duplicates_are_paid_once_and_share_the_result(fast_sandbox: Any, tmp_path: Path,
                                                       state_dir: Path) -> None:
    """Rows 2 and 7 of the sample are one person: enriched once, both rows get the result."""
    out = tmp_path / "out.csv"
    result = run([str(SAMPLES / "leads.csv"), "-o", str(out), "--yes",
                  "--state-dir", str(state_dir)], api_env(fast_sandbox))
    assert result.exit_code == 0, result.output
    rows = read_rows(out)
    first, dup = rows[1], rows[6]
    assert first["enrichment_status"] == dup["enrichment_status"]
    assert first["enriched_email"] == dup["enriched_email"]
    assert dup["enrichment_credits"] in ("", "0")
    persons = [c for c in fast_sandbox.ledger()["charges"] if c["kind"] == "person"]
    assert len({c["identity"] for c in persons}) == len(persons)


@pytest.mark.slow
def test_invalid_rows_are_never_sent(fast_sandbox: Any, tmp_path: Path, state_dir: Path) -> None:
    """Invalid rows stay in the output with a reason and cost nothing."""
    out = tmp_path / "out.csv"
    run([str(SAMPLES / "leads.csv"), "-o", str(out), "--yes", "--state-dir", str(state_dir)],
        api_env(fast_sandbox))
    invalid = [r for r in read_rows(out) if r["enrichment_status"] == "invalid"]
    assert len(invalid) == 4
    assert all(r["enrichment_note"] for r in invalid)
    assert all(r["enrichment_credits"] in ("", "0") for r in invalid)


@pytest.mark.slow
def test_second_file_is_served_from_the_cache(fast_sandbox: Any, tmp_path: Path,
                                              state_dir: Path) -> None:
    """The same people in a later, different file are not paid for again."""
    later = tmp_path / "later.csv"
    later.write_text((SAMPLES / "leads.csv").read_text().replace("Webinar", "Follow-up"))
    args = ["--yes", "--state-dir", str(state_dir), "-o"]
    first = run([str(SAMPLES / "leads.csv"), *args, str(tmp_path / "a.csv")], api_env(fast_sandbox))
    assert first.exit_code == 0
    spent = settled(fast_sandbox.ledger())
    second = run([str(later), *args, str(tmp_path / "b.csv")], api_env(fast_sandbox))
    assert second.exit_code == 0
    assert settled(fast_sandbox.ledger()) == spent
    report = json.loads((tmp_path / "b.report.json").read_text())
    assert report["credits"]["charged"] == 0
    first_rows = json.loads((tmp_path / "a.report.json").read_text())["rows"]
    # issue 10: people not found are remembered too, so they are not sent again either
    assert report["rows"]["cached"] == first_rows["enriched"] + first_rows["not_found"] == 21


def test_companies_file_is_enriched_synchronously(fast_sandbox: Any, tmp_path: Path,
                                                  state_dir: Path) -> None:
    """A companies file gets the company columns; not-found companies cost nothing."""
    out = tmp_path / "companies-out.csv"
    result = run([str(SAMPLES / "companies.csv"), "-o", str(out), "--yes",
                  "--state-dir", str(state_dir)], api_env(fast_sandbox))
    assert result.exit_code == 0, result.output
    rows = read_rows(out)
    assert list(rows[0])[-len(COMPANY_COLUMNS):] == list(COMPANY_COLUMNS)
    assert {r["enrichment_status"] for r in rows} <= {"enriched", "not_found", "invalid"}
    assert any(r["enriched_industry"] for r in rows)
    report = json.loads((tmp_path / "companies-out.report.json").read_text())
    assert report["kind"] == "company"
    assert report["mode"] == "sync"
    assert report["credits"]["charged"] == settled(fast_sandbox.ledger())


def test_over_max_credits_exits_3_and_spends_nothing(fast_sandbox: Any, tmp_path: Path,
                                                     state_dir: Path) -> None:
    """A cap below the estimate refuses before any paid call."""
    result = run([str(SAMPLES / "leads.csv"), "-o", str(tmp_path / "o.csv"), "--max-credits", "2",
                  "--state-dir", str(state_dir)], api_env(fast_sandbox))
    assert result.exit_code == 3
    assert "--max-credits" in result.output
    assert settled(fast_sandbox.ledger()) == 0


def test_non_interactive_run_needs_yes_or_a_cap(fast_sandbox: Any, tmp_path: Path) -> None:
    """With no terminal to ask on, the run refuses and says what to pass."""
    result = run([str(SAMPLES / "leads.csv"), "-o", str(tmp_path / "o.csv")],
                 api_env(fast_sandbox))
    assert result.exit_code == 3
    assert "--yes" in result.output
    assert "--max-credits" in result.output


def test_output_naming_the_input_is_refused(tmp_path: Path) -> None:
    """-o pointing at the input exits 2 before anything is read or sent."""
    src = tmp_path / "leads.csv"
    src.write_bytes((SAMPLES / "leads.csv").read_bytes())
    result = run([str(src), "-o", str(src), "--sandbox"])
    assert result.exit_code == 2
    assert src.read_bytes() == (SAMPLES / "leads.csv").read_bytes()


@pytest.mark.parametrize("command", [[], ["estimate"]])
def test_a_folder_as_input_says_so(command: list[str], tmp_path: Path) -> None:
    """QA: a folder given as INPUT said "unsupported file type '(none)'"; it names the folder
    and points to a file or `watch`, exit 2."""
    folder = tmp_path / "inbox"
    folder.mkdir()
    result = run([*command, str(folder), "--sandbox", "--state-dir", str(tmp_path / "s")])
    assert result.exit_code == 2
    assert f"{folder}: is a folder, not a file" in result.output
    assert "csv-enrich watch" in result.output


@pytest.mark.parametrize("bad", ["Email", "Email=emial", "=email"])
def test_bad_map_option_exits_2(bad: str, tmp_path: Path) -> None:
    """A malformed --map names the fields and shows an example."""
    result = run(["estimate", str(SAMPLES / "leads.csv"), "--map", bad])
    assert result.exit_code == 2
    assert "--map" in result.output
    assert "Example" in result.output


def test_estimate_json_has_the_documented_keys() -> None:
    """`estimate --json` prints the mapping, the counts and the maximum credits."""
    result = run(["estimate", str(SAMPLES / "leads.csv"), "--json", "--no-cache"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert set(data) >= {"kind", "enrichment_type", "mode", "sheet", "header_row", "mapping",
                         "rows", "invalid_rows", "credits"}
    assert data["mapping"]["email"] == "Email"
    assert data["rows"]["total"] == 25
    assert data["rows"]["duplicate"] == 1
    assert data["credits"]["estimated_max"] == data["rows"]["valid"] - data["rows"]["duplicate"]
    assert all(set(r) == {"row", "reason"} for r in data["invalid_rows"])


@pytest.mark.slow
def test_readme_command_on_the_embedded_sandbox(tmp_path: Path, state_dir: Path) -> None:
    """The Quick start command writes enriched.xlsx and its report with --sandbox alone."""
    from openpyxl import load_workbook

    out = tmp_path / "enriched.xlsx"
    result = run([str(SAMPLES / "leads.xlsx"), "-o", str(out), "--sandbox",
                  "--state-dir", str(state_dir)])
    assert result.exit_code == 0, result.output
    book = load_workbook(out, read_only=True)
    rows = list(book.worksheets[0].iter_rows(values_only=True))
    book.close()
    header = list(rows[0])
    assert header[-len(PERSON_COLUMNS):] == list(PERSON_COLUMNS)
    status_col = header.index("enrichment_status")
    statuses = [r[status_col] for r in rows[1:]]
    assert len(statuses) == 25
    assert all(statuses)
    assert (tmp_path / "enriched.report.json").exists()


def test_estimate_text_shows_mapping_bad_rows_and_cost() -> None:
    """`estimate` tells a person what was understood, which rows are bad and why, and the cost."""
    result = run(["estimate", str(SAMPLES / "leads.csv"), "--no-cache", "--type", "full"])
    assert result.exit_code == 0, result.output
    out = result.output
    assert "leads.csv: 25 rows of people (header on row 1)" in out
    assert "'Email'" in out
    assert "-> email" in out
    assert "row 16: the LinkedIn URL is a company page, not a person's profile" in out
    assert "To enrich: 20 people for an email and a phone; at most 220 credits" in out
    assert "How: bulk mode" in out


def test_estimate_with_mode_legacy_says_how_it_runs() -> None:
    """Regression: `estimate --mode legacy` printed a traceback (no line for the legacy mode)."""
    result = run(["estimate", str(SAMPLES / "leads.csv"), "--no-cache", "--mode", "legacy"])
    assert result.exit_code == 0, result.output
    assert "How: legacy bulk for 18 people" in result.output
    assert "rows mode for 2 people" in result.output


def test_dry_run_spends_nothing_and_writes_nothing(tmp_path: Path) -> None:
    """`enrich --dry-run` prints the estimate and neither calls the API nor writes the output."""
    out = tmp_path / "o.csv"
    result = run([str(SAMPLES / "companies.csv"), "-o", str(out), "--dry-run", "--no-cache"])
    assert result.exit_code == 0, result.output
    assert "To enrich: 7 companies; at most 7 credits" in result.output
    assert not out.exists()


@pytest.mark.slow
def test_max_credits_is_consent_enough_off_a_terminal(fast_sandbox: Any, tmp_path: Path,
                                                      state_dir: Path) -> None:
    """A scripted run with --max-credits and no --yes runs (capped) instead of prompting."""
    out = tmp_path / "o.csv"
    result = run([str(SAMPLES / "leads.csv"), "-o", str(out), "--max-credits", "100",
                  "--state-dir", str(state_dir)], api_env(fast_sandbox))
    assert result.exit_code == 0, result.output
    assert "Spend up to that?" not in result.output
    assert out.exists()


def test_dry_run_refuses_an_output_it_could_not_write(tmp_path: Path) -> None:
    """--dry-run checks the output path as the real run would (exit 2, nothing read or sent)."""
    result = run([str(SAMPLES / "leads.csv"), "-o", str(tmp_path / "missing" / "o.csv"),
                  "--dry-run"])
    assert result.exit_code == 2
    assert "does not exist" in result.output


def test_watch_is_a_command_not_an_input_file_name() -> None:
    """`csv-enrich watch --help` describes the drop folder (it is no longer 'planned')."""
    result = run(["watch", "--help"])
    assert result.exit_code == 0
    assert "FOLDER/inbox" in result.output


@pytest.mark.slow
def test_without_o_the_output_goes_beside_the_input_never_over_a_file(
    tmp_path: Path, state_dir: Path
) -> None:
    """-o left out: NAME.enriched.EXT beside the input; run again, NAME.enriched-2.EXT, and the
    first output is left as it was."""
    src = tmp_path / "leads.csv"
    src.write_bytes((SAMPLES / "leads.csv").read_bytes())
    first = run([str(src), "--sandbox", "--state-dir", str(state_dir)])
    assert first.exit_code == 0, first.output
    made = tmp_path / "leads.enriched.csv"
    assert read_rows(made)[0]["enrichment_status"]
    assert (tmp_path / "leads.enriched.report.json").exists()
    before = made.read_bytes()
    second = run([str(src), "--sandbox", "--state-dir", str(state_dir)])
    assert second.exit_code == 0, second.output
    assert made.read_bytes() == before
    assert read_rows(tmp_path / "leads.enriched-2.csv")[0]["enrichment_status"]
    assert src.read_bytes() == (SAMPLES / "leads.csv").read_bytes()


def test_watch_refuses_a_file_for_a_folder(tmp_path: Path) -> None:
    """`csv-enrich watch FILE`: one line naming it, exit 2, nothing created next to it."""
    target = tmp_path / "leads.csv"
    target.write_text("Email\n")
    result = run(["watch", str(target), "--once", "--api-key-file", str(tmp_path / "k")])
    assert result.exit_code == 2
    assert "is a file" in result.output
    assert sorted(p.name for p in tmp_path.iterdir()) == ["leads.csv"]


def test_watch_once_exits_2_when_files_wait_for_broken_settings(
        tmp_path: Path, state_dir: Path) -> None:
    """`watch --once` from cron with a misspelt setting: the files stay in inbox and the exit
    code says so (2), with one line naming the setting, the files and the file to fix; it was
    0, so cron never heard of it (regression)."""
    folder = tmp_path / "drop"
    (folder / "inbox").mkdir(parents=True)
    (folder / "inbox" / "leads.csv").write_bytes((SAMPLES / "leads.csv").read_bytes())
    (folder / "csv-enrich.toml").write_text('max_credits = "lots"\n')
    result = run(["watch", str(folder), "--once", "--sandbox", "--state-dir", str(state_dir)])
    assert result.exit_code == 2, result.output
    assert "unknown setting 'max_credits'" in result.output
    assert "1 file waits" in result.output
    assert "csv-enrich.toml and run again" in result.output
    assert "Traceback" not in result.output
    assert (folder / "inbox" / "leads.csv").exists()
