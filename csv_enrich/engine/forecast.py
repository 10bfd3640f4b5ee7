"""Which path each group of rows takes, why, and about how long it takes at a rate limit.

Pure: a model of the requests each strategy sends (no network), for `estimate`, the README and
the benchmarks, which measure the same figures on the sandbox (benchmarks/run).

* bulk (CSV import on): a list, the import (500 rows a call), a quote, one run, a few polls, the
  leads read back (500 a page);
* legacy bulk (CSV import off, or --mode legacy): 250 people a call, a few polls per batch;
* rows: a submission and about one poll per person;
* company lookups (sync): a quote and the lookup per company (a lost answer is then never paid
  twice), or the lookup alone when the API refuses quotes for them.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from csv_enrich.api.limits import MAX_CONTACTS, MAX_ROWS, can_take
from csv_enrich.models import Identity, Mode
from csv_enrich.plan import importable_count
from csv_enrich.plan_columns import IdentityFrame

ROWS_REQUESTS_PER_ROW = 2.1  # a submission and its polls (measured: benchmarks/run)
LEGACY_POLLS_PER_BATCH = 3
BULK_POLLS = 5
ALWAYS = 2  # the balance before and after
REMEMBER_S = 24 * 3600  # how long auto mode trusts that CSV import is off
COMPANY_QUOTES = "company_quote"  # the journal's name for quotes refused for company lookups
QUOTES_OFF_S = 24 * 3600  # how long company lookups trust that the API refuses their quotes
WHY = {
    "bulk": "CSV import on: imported into one list, enriched in one run",
    "legacy": "a LinkedIn URL or names + company: 250 a call, nothing reserved",
    "rows": "one request each",
    "rows_rest": "only an email or a person id, which the legacy endpoint cannot take: one "
                 "request each",
    "sync": "1 credit each; not found costs nothing; a quote and a lookup each, so that a lost "
            "answer is never paid twice",
    "sync_bare": "1 credit each; not found costs nothing; one request each (the API refused "
                 "quotes for company lookups lately)",
}


@dataclass(frozen=True)
class Path:
    """A group of rows, the strategy it goes through and why, and what it takes."""

    strategy: Mode
    people: int
    why: str
    requests: int

    def minutes(self, rate_per_min: int) -> float:
        """Wall time of the requests at the rate limit (the API's own work comes on top)."""
        return self.requests / max(1, rate_per_min)


def _rows(n: int, why: str) -> Path:
    return Path("rows", n, WHY[why], math.ceil(n * ROWS_REQUESTS_PER_ROW))


def _legacy(n: int) -> Path:
    batches = math.ceil(n / MAX_CONTACTS)
    return Path("legacy", n, WHY["legacy"], batches * (1 + LEGACY_POLLS_PER_BATCH))


def _bulk(n: int) -> Path:
    chunks = math.ceil(n / MAX_ROWS)
    return Path("bulk", n, WHY["bulk"], 1 + chunks + 2 + BULK_POLLS + chunks)


def paths(idents: Sequence[Identity], mode: Mode, *, quotes: bool = True) -> list[Path]:
    """The groups of `idents` and their strategies in `mode` (bulk is planned as if CSV import
    is on; legacy is what auto mode does when it answers 503; company lookups with a quote
    each unless `quotes` is False: the API refused them lately)."""
    n = len(idents)
    if mode == "sync":
        per = 2 if quotes else 1
        return [Path("sync", n, WHY["sync" if quotes else "sync_bare"], per * n)] if n else []
    if mode == "rows":
        return [_rows(n, "rows")] if n else []
    if mode == "bulk":
        carried = importable_count(idents)
        groups = [_bulk(carried)] if carried else []
        return groups + ([_rows(n - carried, "rows_rest")] if n > carried else [])
    taken = idents.legacy() if isinstance(idents, IdentityFrame) else sum(map(can_take, idents))
    groups = [_legacy(taken)] if taken else []
    return groups + ([_rows(n - taken, "rows_rest")] if n > taken else [])


def total_requests(groups: Sequence[Path]) -> int:
    """The requests of every group plus the balance reads around the run."""
    return sum(g.requests for g in groups) + (ALWAYS if groups else 0)


def duration(minutes: float) -> str:
    """`under a minute`, `about 1 minute`, `about 70 minutes`."""
    if minutes < 1:
        return "under a minute"
    whole = math.ceil(minutes)
    return "about 1 minute" if whole == 1 else f"about {whole:,} minutes"
