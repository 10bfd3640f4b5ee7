"""The engine: runs a plan against the API and returns one `Outcome` per identity.

`context` is the base (the run context, tuning, shared helpers); `rows`, `bulk`, `legacy` and
`company` are the strategies; `prior` collects what earlier unfinished runs submitted; `join`
matches leads back to identities; `run` picks the strategy and drives it; `forecast` models the
requests each path sends (for the estimate).
"""

from csv_enrich.engine.context import RunContext, Tuning
from csv_enrich.engine.run import RunInterrupted, choose_mode, preflight, run_plan

__all__ = ["RunContext", "RunInterrupted", "Tuning", "choose_mode", "preflight", "run_plan"]
