"""Resumed and replayed runs through enrich_file: a run reports its own paid rows as paid."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from csv_enrich import errors
from csv_enrich.engine.run import run_plan
from csv_enrich.models import Connection, EnrichOptions, Progress
from csv_enrich.report import Report
from csv_enrich.runner import enrich_file
from csv_enrich.sandbox import SandboxConfig, SandboxServer
from tests.test_engine_helpers import FAST, make_plan, person, rig

EMAILS = [f"person{n}@firm{n % 4}.io" for n in range(14)]


@pytest.fixture
def server() -> Iterator[SandboxServer]:
    """A sandbox whose workflows take a little while (so a run can be interrupted)."""
    config = SandboxConfig(credits=100_000, time_scale=0.05, rate_limit_per_min=100_000,
                           org_rate_limit_per_min=100_000)
    with SandboxServer(config) as sandbox:
        yield sandbox


def opts(server: SandboxServer, tmp_path: Path) -> EnrichOptions:
    """Rows mode over a CSV of EMAILS against `server`."""
    source = tmp_path / "people.csv"
    source.write_text("Email\n" + "\n".join(EMAILS) + "\n")
    connection = Connection(state_dir=tmp_path / "state", base_url=server.base_url,
                            api_key=server.api_key, rate_limit_per_min=6000)
    return EnrichOptions(input=source, output=tmp_path / "out.csv", mode="rows", yes=True,
                         concurrency=4, connection=connection)


def person_requests(server: SandboxServer) -> int:
    """Paid person submissions the sandbox received."""
    return sum(1 for r in server.ledger()["requests"] if r["path"].endswith("/enrichment/person"))


def assert_books(report: Report, server: SandboxServer) -> None:
    """The report's money equals the ledger's, no row is a cache hit, nothing unattributed."""
    assert report.rows.cached == 0
    assert report.saved.cache == 0
    assert report.credits.charged == server.ledger()["charged_total"]
    assert "unattributed" not in report.credits_by_outcome
    assert report.rows.enriched + report.rows.not_found == len(EMAILS)


def test_a_resumed_run_reports_its_own_paid_rows(server: SandboxServer, tmp_path: Path) -> None:
    """QA: Ctrl-C mid-run then the same command: rows paid before the interruption come back as
    paid (their credits), not as free cache hits with the money 'unattributed'."""
    options = opts(server, tmp_path)

    def ctrl_c(progress: Progress) -> None:
        if progress.done >= 5:
            raise KeyboardInterrupt

    with pytest.raises(errors.Interrupted):
        enrich_file(options, progress=ctrl_c, tuning=FAST)
    assert person_requests(server) >= 5
    assert_books(enrich_file(options, tuning=FAST), server)


def test_a_finished_run_run_again_is_a_new_run_that_claims_nothing(
        server: SandboxServer, tmp_path: Path) -> None:
    """The same command after a finished run is a new run (issue 10): it pays nothing, claims
    none of the first run's credits, and its enriched rows come from the cache."""
    options = opts(server, tmp_path)
    first = enrich_file(options, tuning=FAST)
    charged = server.ledger()["charged_total"]
    again = enrich_file(options, tuning=FAST)
    assert server.ledger()["charged_total"] == charged == first.credits.charged
    assert again.run_id != first.run_id
    assert not again.resumed
    assert again.credits.charged == again.credits.charged_now == 0
    assert person_requests(server) == len(EMAILS)  # nobody sent again, not-found people too
    assert again.rows.cached == first.rows.enriched + first.rows.not_found
    assert again.saved.cache == first.credits.charged


@pytest.mark.anyio
async def test_run_result_says_whether_the_run_was_resumed(
        server: SandboxServer, tmp_path: Path) -> None:
    """RunResult.resumed is False for a new run and True when the journal knew the run."""
    plan = make_plan([person(n) for n in range(3)])
    async with rig(server.base_url, server.api_key, tmp_path) as r:
        results = [await run_plan(plan, client=r.client, journal=r.journal, cache=r.cache,
                                  tuning=FAST) for _ in range(2)]
    assert [res.resumed for res in results] == [False, True]
