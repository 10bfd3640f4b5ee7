"""The library's job that spends nothing: `estimate_file` (read, map, validate, price).

Apart from `runner` so that `csv-enrich estimate` imports only what it needs: no HTTP client, no
engine, no writers (runner re-exports both names).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING

from csv_enrich.engine.forecast import COMPANY_QUOTES
from csv_enrich.models import JOURNAL_FILE, EnrichOptions, Plan, default_state_dir
from csv_enrich.plan import Loaded, load, make_plan
from csv_enrich.read import Table

if TYPE_CHECKING:
    from csv_enrich.journal import ResultCache


@dataclass(frozen=True)
class Estimate:
    """What `csv-enrich estimate` shows: the mapping, the verdicts and the most it can cost."""

    loaded: Loaded
    plan: Plan
    # seconds since this account's CSV import last answered 503 (None: never, as far as the
    # state directory knows); auto mode then goes to legacy bulk for a while
    csv_import_off_s: float | None = None
    # seconds since this API and key last refused quotes for company lookups (None: never);
    # lookups then go one request each instead of two, for a while
    company_quotes_off_s: float | None = None


def estimate_file(options: EnrichOptions, *, read: Callable[[], Table] | None = None) -> Estimate:
    """Read, map, validate and price the input; touch no network and spend nothing. `read`:
    gives the input's table (read.ahead started reading it), instead of reading it here."""
    loaded = load(options, read() if read is not None else None)
    with _cache(options) as cache:
        plan = make_plan(loaded, options, cache)
    return Estimate(loaded, plan, _refused_since(options, "bulk"),
                    _refused_since(options, COMPANY_QUOTES))


def _refused_since(options: EnrichOptions, mode: str) -> float | None:
    """Seconds since the account refused strategy `mode` (None: never, as far as known)."""
    state_dir = options.connection.state_dir or default_state_dir()
    if not (state_dir / JOURNAL_FILE).exists():
        return None
    from csv_enrich.journal import Journal  # (an estimate without a journal imports none of it)

    with Journal(state_dir) as journal:
        return journal.unavailable_since(options.connection.scope, mode)


@contextmanager
def _cache(options: EnrichOptions) -> Iterator[ResultCache | None]:
    """The result cache alone (for estimates), or None when the state dir does not exist yet."""
    state_dir = options.connection.state_dir or default_state_dir()
    if not state_dir.exists():
        yield None
        return
    from csv_enrich.journal import ResultCache

    with ResultCache(state_dir) as cache:
        yield cache
