"""Which path each group of rows takes and how long: the model behind `estimate`."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from csv_enrich.cli import main
from csv_enrich.engine.forecast import duration, paths, total_requests
from csv_enrich.models import Identity


def names(n: int) -> list[Identity]:
    return [Identity("person", f"name:a{i}|b{i}|c.io", first_name=f"A{i}", last_name=f"B{i}",
                     domain="c.io") for i in range(n)]


def emails(n: int) -> list[Identity]:
    return [Identity("person", f"email:e{i}@c.io", email=f"e{i}@c.io") for i in range(n)]


def test_legacy_takes_names_and_linkedin_rows_take_the_rest() -> None:
    """In legacy mode names + company go 250 a call; email-only rows go one by one."""
    groups = paths(names(1000) + emails(10), "legacy")
    assert [(g.strategy, g.people) for g in groups] == [("legacy", 1000), ("rows", 10)]
    assert groups[0].requests == 16  # 4 calls and their polls
    assert "cannot take" in groups[1].why


def test_a_1000_row_file_of_names_fits_5_minutes_at_30_a_minute() -> None:
    """The target: 1,000 names + companies through legacy bulk within 5 minutes at 30/min, and
    at most 0.05 requests per row; rows mode would take over an hour."""
    legacy = paths(names(1000), "legacy")
    assert total_requests(legacy) / 30 <= 5
    assert total_requests(legacy) / 1000 <= 0.05
    assert total_requests(paths(names(1000), "rows")) / 30 > 60


def test_duration_words() -> None:
    """Minutes in words, rounded up."""
    assert [duration(m) for m in (0.2, 1.0, 69.1)] == ["under a minute", "about 1 minute",
                                                       "about 70 minutes"]


def test_estimate_says_which_path_each_group_takes(tmp_path: Path) -> None:
    """`estimate` in auto mode names the bulk path and, for CSV import off, legacy bulk for the
    named rows and rows mode for the email-only ones, with the rate limit."""
    src = tmp_path / "mixed.csv"
    lines = ["First Name,Last Name,Company,Email"]
    lines += [f"Ann{i},Lee{i},Acme,ann{i}@acme.io" for i in range(6)]
    lines += [f",,,solo{i}@x.io" for i in range(3)]
    src.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["estimate", str(src), "--no-cache", "--rate-limit", "20"])
    assert result.exit_code == 0, result.output
    out = result.output
    assert "How: bulk mode for 9 people" in out
    assert "legacy bulk for 6 people (a LinkedIn URL or names + company" in out
    assert "rows mode for 3 people (only an email or a person id" in out
    assert "at 20 requests/min" in out


def test_estimate_json_gives_the_paths_and_the_rate(tmp_path: Path) -> None:
    """`estimate --json` carries the same groups: planned, and without CSV import."""
    src = tmp_path / "mixed.csv"
    rows = [f"Ann{i},Lee{i},Acme" for i in range(600)] + ["Bo,,,bo@x.io"]
    src.write_text("First Name,Last Name,Company,Email\n" + "\n".join(rows) + "\n")
    result = CliRunner().invoke(main, ["estimate", str(src), "--no-cache", "--json"])
    assert result.exit_code == 0, result.output
    paths_doc = json.loads(result.output)["paths"]
    assert paths_doc["rate_limit_per_min"] == 30
    assert [g["strategy"] for g in paths_doc["planned"]] == ["bulk"]
    off = {g["strategy"]: g for g in paths_doc["if_csv_import_is_off"]}
    assert (off["legacy"]["people"], off["legacy"]["requests"]) == (600, 12)
    assert (off["rows"]["people"], off["rows"]["requests"]) == (1, 3)


def test_estimate_knows_the_account_s_csv_import_was_off_lately(tmp_path: Path) -> None:
    """After CSV import answered 503 for this API and key (journaled), `estimate` in auto mode
    plans legacy bulk at once and says why."""
    from csv_enrich.journal import Journal
    from csv_enrich.models import Connection

    key = "clapi_" + "k" * 48
    with Journal(tmp_path / "state") as journal:
        journal.note_unavailable(Connection(api_key=key).scope, "bulk")
    src = tmp_path / "names.csv"
    src.write_text("First Name,Last Name,Company\n"
                   + "\n".join(f"Ann{i},Lee{i},Acme" for i in range(8)) + "\n")
    args = ["estimate", str(src), "--no-cache", "--state-dir", str(tmp_path / "state")]
    result = CliRunner().invoke(main, args, env={"CLEANLIST_API_KEY": key})
    assert result.exit_code == 0, result.output
    assert "How: legacy bulk for 8 people" in result.output
    assert "answered 503 lately" in result.output
    other = CliRunner().invoke(main, args, env={"CLEANLIST_API_KEY": key + "x"})
    assert "How: bulk mode for 8 people" in other.output
