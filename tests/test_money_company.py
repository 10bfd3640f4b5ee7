"""A company lookup whose answer was lost is never paid twice (issue 10), through the CLI against
the sandbox with the fault at the edge; the reports and the row column add up to the ledger."""

from __future__ import annotations

import csv
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from csv_enrich.sandbox.data import company_record
from tests.test_money import Books, cli_process, estimate

pytestmark = pytest.mark.slow  # whole CLI runs against the sandbox

LOOKUP, ESTIMATE = "/enrichment/company", "/credits/estimate"
PAID_NOTE = "paid, but the answer was lost in transport"


def companies(tmp_path: Path, count: int = 6, name: str = "firms.csv", start: int = 0) -> Path:
    """A companies file made by hand: `count` companies the sandbox knows (from the `start`th),
    and one it does not."""
    known = [f"firm{n}.com" for n in range(90) if company_record(f"domain:firm{n}.com")]
    known = known[start:start + count]
    path = tmp_path / name
    lines = ["Company,Website", *(f"Firm {d[4:-4]},{d}" for d in known), "Nowhere,nowhere.invalid"]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def seen(server: Any, path: str) -> int:
    """Requests the sandbox answered (or dropped) on `path`."""
    return sum(1 for r in server.ledger()["requests"] if r["path"].endswith(path))


def rows(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8-sig") as fh:
        return list(csv.DictReader(fh))


def charged_once(server: Any) -> None:
    """No company was charged twice."""
    charges = Counter(c["identity"] for c in server.ledger()["charges"] if c["credits"])
    assert set(charges.values()) <= {1}, charges


def test_a_lost_answer_is_charged_once_and_the_row_says_so(fast_sandbox: Any,
                                                           tmp_path: Path) -> None:
    """The API did the lookup and the answer was lost: the row shows the 1 credit with a note and
    no data, the report a warning; running the file again (a new run) buys that one again."""
    src = companies(tmp_path)
    fast_sandbox.state.faults.forced_on.append((LOOKUP, "lost_answer"))
    books = Books(fast_sandbox, tmp_path)
    report = books.run(src, "--concurrency", "1", code=1)  # exit 1: a row failed (no data)
    lost = [r for r in rows(tmp_path / "out1.csv") if r["enrichment_status"] == "failed"]
    assert len(lost) == 1
    assert lost[0]["enrichment_credits"] == "1"
    assert PAID_NOTE in lost[0]["enrichment_note"]
    assert not lost[0]["enriched_industry"]
    assert any("were charged 1 credit each but their answer was lost" in w
               for w in report["warnings"])
    assert report["credits"]["charged"] == 6
    assert (seen(fast_sandbox, LOOKUP), seen(fast_sandbox, ESTIMATE)) == (8, 7)
    again = books.run(src, "--concurrency", "1")
    assert again["credits"]["charged_now"] == 1  # only the lost one, on purpose
    assert books.check() == 7


def test_a_lookup_lost_before_the_api_is_resent_with_its_quote(fast_sandbox: Any,
                                                               tmp_path: Path) -> None:
    """The connection dropped before the API did anything: the resend with the same quote is
    the one charge, and every row has its data."""
    fast_sandbox.state.faults.forced_on.append((LOOKUP, "drop"))
    books = Books(fast_sandbox, tmp_path)
    report = books.run(companies(tmp_path))
    statuses = Counter(r["enrichment_status"] for r in rows(tmp_path / "out1.csv"))
    assert statuses == {"enriched": 6, "not_found": 1}
    assert report["warnings"] == []
    assert (seen(fast_sandbox, LOOKUP), seen(fast_sandbox, ESTIMATE)) == (8, 7)
    assert books.check() == 6
    charged_once(fast_sandbox)


def killed_mid_lookup(server: Any, src: Path, tmp_path: Path, *, served: bool) -> None:
    """Run `src` and kill -9 it while its first (quoted, journaled) lookup is on its way; wait
    until the API is done with it (did it: `served`, or never got to it)."""
    server.state.config.fault_latency_ms = 3000
    server.state.faults.forced_on.append((LOOKUP, "late_answer" if served else "latency"))
    proc = cli_process(server, [str(src), "-o", str(tmp_path / "out0.csv"), "--yes",
                                "--rate-limit", "6000", "--concurrency", "1",
                                "--state-dir", str(tmp_path / "state")])
    deadline = time.monotonic() + 30
    while seen(server, ESTIMATE) < 1:
        assert time.monotonic() < deadline, "nothing to kill"
        time.sleep(0.02)
    time.sleep(1.0)
    assert seen(server, LOOKUP) == 0
    proc.kill()
    proc.communicate(timeout=30)
    while seen(server, LOOKUP) < 1:
        assert time.monotonic() < deadline, "the slow lookup never ended"
        time.sleep(0.02)
    server.state.faults.forced_on.clear()
    assert sum(c["credits"] for c in server.ledger()["charges"]) == int(served)


@pytest.mark.parametrize("served", [True, False])
def test_a_run_killed_between_intent_and_answer_is_finished_by_the_rerun(
        fast_sandbox: Any, tmp_path: Path, served: bool) -> None:
    """kill -9 while a lookup is on its way: the rerun resends the journaled quote first. When
    the API did the lookup (`served`), the resend is refused as used and the row shows the
    credit the killed run paid; when the API never got to it, the resend is the one charge and
    the row has its data. Either way nobody is charged twice and the books add up."""
    src = companies(tmp_path)
    killed_mid_lookup(fast_sandbox, src, tmp_path, served=served)
    books = Books(fast_sandbox, tmp_path)
    resumed = books.run(src, code=1 if served else 0)
    assert resumed["resumed"]
    first = rows(tmp_path / "out1.csv")[0]
    if served:
        assert (first["enrichment_status"], first["enrichment_credits"]) == ("failed", "1")
        assert PAID_NOTE in first["enrichment_note"]
    else:
        assert (first["enrichment_status"], first["enrichment_credits"]) == ("enriched", "1")
        assert first["enriched_industry"]
    assert seen(fast_sandbox, LOOKUP) == 8  # the killed one, its one resend and 6 more
    assert seen(fast_sandbox, ESTIMATE) == 7  # the resend went with the journaled quote
    assert books.check() == 6
    charged_once(fast_sandbox)


def test_quotes_refused_by_the_estimate_fall_back_with_one_warning(fast_sandbox: Any,
                                                                   tmp_path: Path) -> None:
    """A server that does not price enrich_company: lookups go without a quote, with one
    warning; the account is remembered (no more estimates), and `estimate` counts 1 request
    per company instead of 2."""
    fast_sandbox.state.config.company_quotes = "unknown_tool"
    books = Books(fast_sandbox, tmp_path)
    src = companies(tmp_path)
    before = estimate(books, src, tmp_path / "state")["paths"]["planned"][0]["requests"]
    report = books.run(src)
    off = [w for w in report["warnings"] if "does not take quotes" in w]
    assert len(off) == 1
    assert "may be charged twice" in off[0]
    assert (seen(fast_sandbox, LOOKUP), seen(fast_sandbox, ESTIMATE)) == (7, 1)
    other_src = companies(tmp_path, 3, "other.csv", start=6)
    after = estimate(books, other_src, tmp_path / "state")["paths"]["planned"][0]["requests"]
    assert (before, after) == (2 * 7, 4)  # a quote and a lookup each; then the lookup alone
    other = books.run(other_src)
    assert any("refused them under an hour ago" in w for w in other["warnings"])
    assert seen(fast_sandbox, ESTIMATE) == 1
    assert books.check() == 9
    charged_once(fast_sandbox)


def test_a_quote_the_lookup_refuses_falls_back_and_charges_nothing_extra(
        fast_sandbox: Any, tmp_path: Path) -> None:
    """A server that issues the quote but refuses it on the lookup (400 quote_mismatch, nothing
    charged): each refused lookup goes again without the quote, once."""
    fast_sandbox.state.config.company_quotes = "mismatch"
    books = Books(fast_sandbox, tmp_path)
    report = books.run(companies(tmp_path))
    assert sum("does not take quotes" in w for w in report["warnings"]) == 1
    quoted = seen(fast_sandbox, ESTIMATE)
    assert 1 <= quoted <= 7
    assert seen(fast_sandbox, LOOKUP) == 7 + quoted
    assert books.check() == 6
    charged_once(fast_sandbox)
