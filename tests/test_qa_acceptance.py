"""Acceptance scenarios found by QA, run as a user would: the CLI on the embedded sandbox."""

from __future__ import annotations

import csv
import json
from pathlib import Path

from click.testing import CliRunner, Result

from csv_enrich.cli.commands import main
from csv_enrich.journal import ResultCache
from csv_enrich.models import Outcome

ENRICHED = ("enriched_email", "enriched_linkedin_url", "enriched_title", "enrichment_status")


def run(args: list[str]) -> Result:
    return CliRunner().invoke(main, args, catch_exceptions=False)


def rows_of(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as fh:
        return list(csv.DictReader(fh))


def test_a_copy_gives_each_name_only_row_its_own_result_not_a_namesakes(
        tmp_path: Path, state_dir: Path) -> None:
    """QA: a name + company row and a row with an email under the same name and company are
    enriched apart (two people may share a name at one company), but the email row's result
    replaced the name row's in the cache, so a copy of the file gave the name row the other
    person's email (or 'not_found' for a person the first run had found and paid for)."""
    src = tmp_path / "people.csv"
    with src.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(["first_name", "last_name", "email", "company", "domain"])
        for i, (first, last) in enumerate([("Luis", "Øster"), ("Hugo", "Schmidt"),
                                           ("Karin", "Brown"), ("Paula", "García")]):
            dom = f"firm{i}.com"
            writer.writerow([first, last, "", f"Firm {i}", dom])
            writer.writerow([first, last, f"{first.lower()}.{100 + i}@{dom}", f"Firm {i}", dom])
            writer.writerow([first, last, "", f"Firm {i}", dom])
    first_out, copy_out = tmp_path / "first.csv", tmp_path / "copy-out.csv"
    base = ["--sandbox", "--state-dir", str(state_dir), "--yes", "--quiet"]
    assert run([str(src), "-o", str(first_out), *base]).exit_code == 0
    copy = tmp_path / "copy.csv"
    copy.write_bytes(src.read_bytes())
    assert run([str(copy), "-o", str(copy_out), *base]).exit_code == 0
    report = json.loads((tmp_path / "copy-out.report.json").read_text())
    assert report["credits"]["charged"] == 0
    before, after = rows_of(first_out), rows_of(copy_out)
    assert [{k: r[k] for k in ENRICHED} for r in after] == \
        [{k: r[k] for k in ENRICHED} for r in before]


def _person(key: str, email: str) -> Outcome:
    return Outcome(key=key, status="enriched", note="", credits=1, data={"email": email})


def test_a_name_row_is_answered_by_a_name_rows_result_before_a_namesake_with_an_email(
        tmp_path: Path) -> None:
    """QA: the name-only row 'Nils Müller, Hooli' of one file and the row sent as 'Nils Müller,
    Hooli, nils.2213@hooli.com' were both registered under the name keys; the newest won, so
    the file run again answered the name row with the other person's email. A name key's own
    result (stored by a row sent by that name) comes first, wherever it was stored, and a
    namesake never overwrites it."""
    by_domain, by_company = "name:nils|muller|hooli.com", "name:nils|muller|hooli"
    with ResultCache(tmp_path) as cache:
        cache.store("person", [by_company], "partial", _person(by_company, "nils.m@hooli.com"))
        cache.store("person", ["email:nils.2213@hooli.com", by_domain, by_company], "partial",
                    _person("email:nils.2213@hooli.com", "nils.2213@hooli.com"))
        for hit in (cache.lookup("person", [by_domain, by_company], "partial", 30),
                    cache.lookup_many("person", [[by_domain, by_company]], "partial", 30)[0]):
            assert hit is not None
            assert hit.data["email"] == "nils.m@hooli.com"
        cache.store("person", [by_domain, by_company], "partial", _person(by_domain, "own@h.com"))
        cache.store("person", ["email:x@hooli.com", by_domain], "partial",
                    _person("email:x@hooli.com", "x@hooli.com"))
        hit = cache.lookup("person", [by_domain], "partial", 30)
        assert hit is not None
        assert hit.data["email"] == "own@h.com"
        only_email = cache.lookup("person", ["name:ann|lee|hooli.com"], "partial", 30)
        assert only_email is None
        cache.store("person", ["email:ann@hooli.com", "name:ann|lee|hooli.com"], "partial",
                    _person("email:ann@hooli.com", "ann@hooli.com"))
        hit = cache.lookup("person", ["name:ann|lee|hooli.com"], "partial", 30)
        assert hit is not None
        assert hit.data["email"] == "ann@hooli.com"


def test_a_second_output_format_does_not_replace_the_first_ones_report(
        tmp_path: Path, state_dir: Path) -> None:
    """QA: `-o out.csv` then `-o out.xlsx` both wrote out.report.json: the second run (all from
    the cache, 0 charged) silently replaced the first one's report (what was paid), so adding
    up the reports no longer gave what the API charged. The second run is refused before
    anything is read or spent (exit 2, one line naming --report); with --report it runs."""
    src = tmp_path / "people.csv"
    src.write_text("first_name,last_name,company,domain\nJane,Doe,Acme Analytics,"
                   "acmeanalytics.io\n", encoding="utf-8")
    base = ["--sandbox", "--state-dir", str(state_dir), "--yes", "--quiet"]
    assert run([str(src), "-o", str(tmp_path / "out.csv"), *base]).exit_code == 0
    report = tmp_path / "out.report.json"
    first = report.read_text(encoding="utf-8")
    assert json.loads(first)["credits"]["charged"] == 1
    for dry in ([], ["--dry-run"]):
        refused = CliRunner().invoke(main, [str(src), "-o", str(tmp_path / "out.xlsx"),
                                            *base, *dry])
        assert refused.exit_code == 2, refused.output
        assert "--report out.xlsx.report.json" in refused.output
        assert "Traceback" not in refused.output
        assert report.read_text(encoding="utf-8") == first
        assert not (tmp_path / "out.xlsx").exists()
    again = run([str(src), "-o", str(tmp_path / "out.csv"), *base])  # its own report: replaced
    assert again.exit_code == 0
    named = tmp_path / "out.xlsx.report.json"
    assert run([str(src), "-o", str(tmp_path / "out.xlsx"), "--report", str(named),
                *base]).exit_code == 0
    assert json.loads(named.read_text(encoding="utf-8"))["output"].endswith("out.xlsx")


def test_a_file_that_alone_passes_the_daily_cap_does_not_promise_to_run_tomorrow(
        tmp_path: Path, state_dir: Path) -> None:
    """QA: max_credits_per_day = 10 and a dropped file of up to 20 credits: the note said 'It
    runs by itself tomorrow' and the log 'it runs tomorrow', but it never fits the cap on any
    day; both now say which max_credits_per_day lets it run."""
    folder = tmp_path / "drop"
    (folder / "inbox").mkdir(parents=True)
    (folder / "csv-enrich.toml").write_text("max_credits_per_day = 10\n", encoding="utf-8")
    rows = "".join(f"p{n}@firm{n}.io\n" for n in range(20))
    (folder / "inbox" / "leads.csv").write_text("Email\n" + rows, encoding="utf-8")
    result = run(["watch", str(folder), "--once", "--sandbox", "--state-dir", str(state_dir)])
    assert result.exit_code == 0, result.output
    note = (folder / "inbox" / "leads.csv.waiting.txt").read_text(encoding="utf-8")
    assert "It runs by itself tomorrow" not in note
    assert "It cannot run on any day under this cap" in note
    assert "max_credits_per_day is raised to 20 or more." in note
    log = (folder / "csv-enrich.log").read_text(encoding="utf-8")
    assert "raise max_credits_per_day to 20 or more" in log
    assert "it runs tomorrow" not in log
