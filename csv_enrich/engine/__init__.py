"""The engine: runs a plan against the API and returns one `Outcome` per identity.

`context` is the base (the `Strategy` seam, the run context, tuning, shared helpers); `rows`,
`bulk`, `legacy` and `company` are the strategies; `route` drives the route `plan.choose_route`
chose through them (STRATEGIES by mode); `prior` collects what earlier unfinished runs
submitted; `join` matches leads back to identities; `run` is the entry point (`preflight`,
`run_plan`); `forecast` models the requests each path sends (for the estimate).
"""

from csv_enrich.engine.context import RunContext, Strategy, StrategyUnavailable, Tuning
from csv_enrich.engine.route import STRATEGIES, run_route
from csv_enrich.engine.run import RunInterrupted, preflight, run_plan

__all__ = [
    "STRATEGIES",
    "RunContext",
    "RunInterrupted",
    "Strategy",
    "StrategyUnavailable",
    "Tuning",
    "preflight",
    "run_plan",
    "run_route",
]
