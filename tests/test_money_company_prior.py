"""A company lookup left in flight by a killed run is collected by a later run over an edited
file or a copy (another run_id), never bought twice (issue 10): through the CLI against the
sandbox, the fault at the edge; the reports and the row column add up to the ledger."""

from __future__ import annotations

import json
import shutil
import signal
import time
from pathlib import Path
from typing import Any

import pytest

from tests.test_money import Books, cli_process, column_sum, estimate
from tests.test_money_company import (
    ESTIMATE,
    LOOKUP,
    PAID_NOTE,
    charged_once,
    companies,
    killed_mid_lookup,
    rows,
    seen,
)

pytestmark = pytest.mark.slow  # whole CLI runs against the sandbox

COLLECTED = "submitted by an earlier interrupted run; collected here, not paid again"


def other_file(src: Path, how: str) -> Path:
    """A copy of `src` under another name, an edited one (a row moved, a company added), or
    `src` itself (run with another --map)."""
    lines = src.read_text(encoding="utf-8").splitlines()
    other = src.with_name(f"{how} of {src.name}")
    if how == "map":
        return src
    if how == "copy":
        shutil.copy(src, other)
    else:
        other.write_text("\n".join([lines[0], *lines[2:], lines[1], "Firm extra,firmx.invalid"])
                         + "\n", encoding="utf-8")
    return other


@pytest.mark.parametrize("how", ["copy", "edited", "map"])
@pytest.mark.parametrize("served", [True, False])
def test_a_killed_company_run_is_collected_by_a_run_over_another_file(
        fast_sandbox: Any, tmp_path: Path, served: bool, how: str) -> None:
    """kill -9 with a lookup in flight, then an edited file or another --map (a new run_id; a
    copy of the unfinished file resumes it, for comparison): the new
    run resends the killed run's journaled quote (not a new one), so the company is charged
    once; when the API did it, the row shows the credit and no data. `estimate` and the run
    agree: the in-flight lookup is counted as one that may be charged once."""
    src = companies(tmp_path)
    killed_mid_lookup(fast_sandbox, src, tmp_path, served=served)
    other = other_file(src, how)
    books = Books(fast_sandbox, tmp_path)
    extra = ("--map", "Company=company_name") if how == "map" else ()  # the same, said: a new run
    est = estimate(books, other, tmp_path / "state", *extra)
    assert (est["resend"], est["in_hand"]) == (1, 1)
    size = 8 if how == "edited" else 7
    assert est["credits"]["estimated_max"] == size  # the resend may be charged: counted
    quotes_before = seen(fast_sandbox, ESTIMATE)
    report = books.run(other, *extra, code=1 if served else 0)
    assert report["resumed"] == (how == "copy")  # a copy of an unfinished file goes on with it
    first = next(r for r in rows(tmp_path / "out1.csv") if r["Website"] == src.read_text(
        encoding="utf-8").splitlines()[1].split(",")[1])
    assert (COLLECTED in first["enrichment_note"]) == (how != "copy")
    if served:
        assert (first["enrichment_status"], first["enrichment_credits"]) == ("failed", "1")
        assert PAID_NOTE in first["enrichment_note"]
    else:
        assert (first["enrichment_status"], first["enrichment_credits"]) == ("enriched", "1")
        assert first["enriched_industry"]
    assert seen(fast_sandbox, LOOKUP) == size + 1  # the killed one, its resend and the rest
    assert seen(fast_sandbox, ESTIMATE) - quotes_before == size - 1  # the resend's was saved
    assert books.check() == 6
    charged_once(fast_sandbox)
    again = books.run(other, *extra)  # the finished file again: nothing bought, nothing claimed
    assert again["credits"]["charged_now"] == 0 or served  # served: the lost one, on purpose
    assert books.check() == 6 + int(served)
    if not served:
        charged_once(fast_sandbox)


@pytest.mark.parametrize("served", [True, False])
def test_a_company_run_stopped_by_ctrl_c_mid_lookup_is_collected_by_an_edited_file(
        fast_sandbox: Any, tmp_path: Path, served: bool) -> None:
    """Ctrl-C while a lookup is on its way: the stopped run's report (interrupted) claims only
    what it saw settle; the run over an edited file resends its saved quote and claims that
    lookup once. Reports, row columns and ledger agree; no company is charged twice."""
    src = companies(tmp_path)
    fast_sandbox.state.config.fault_latency_ms = 3000
    fast_sandbox.state.faults.forced_on.append((LOOKUP, "late_answer" if served else "latency"))
    books = Books(fast_sandbox, tmp_path)
    books.n += 1
    out = tmp_path / "out1.csv"
    proc = cli_process(fast_sandbox, [str(src), "-o", str(out), "--yes", "--rate-limit", "6000",
                                      "--concurrency", "1", "--state-dir", str(tmp_path / "state")])
    deadline = time.monotonic() + 30
    while seen(fast_sandbox, ESTIMATE) < 1:  # the first lookup is quoted, then on its way
        assert time.monotonic() < deadline, "nothing to interrupt"
        time.sleep(0.02)
    time.sleep(1.0)
    assert seen(fast_sandbox, LOOKUP) == 0
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    stopped = json.loads(out.with_suffix(".report.json").read_text())
    assert stopped["interrupted"] is True
    assert stopped["credits"]["charged"] == column_sum(out) == 0
    stopped["_column"] = 0
    books.reports.append(stopped)
    while seen(fast_sandbox, LOOKUP) < 1:  # the API is done with the slow one
        assert time.monotonic() < deadline, "the slow lookup never ended"
        time.sleep(0.02)
    fast_sandbox.state.faults.forced_on.clear()
    report = books.run(other_file(src, "edited"), code=1 if served else 0)
    assert not report["resumed"]
    assert seen(fast_sandbox, LOOKUP) == 9  # the stopped one, its resend and 7 more
    assert books.check() == 6
    charged_once(fast_sandbox)
