"""The engine: runs a plan against the API and returns one `Outcome` per identity.

`context` is the base (the `Strategy` seam, the run context, tuning, shared helpers); `rows`,
`bulk` (its CSV chunks: `bulk_csv`), `legacy` and `company` are the strategies; `route` drives
the route `plan.choose_route` chose through them (STRATEGIES by mode); `prior` collects what
earlier unfinished runs submitted; `join` matches leads back to identities (`join_columns` the
same over columns, the leads of a list read back as columns in `leads`, a bulk run's list
read back and joined a slice of pages at a time in `readback`); `run` is the entry
point (`preflight`, `run_plan`); `forecast` models the requests each path sends (for the
estimate).

Importing the package is light (no httpx): `estimate` needs only `forecast`. Import the run's
names from their modules (`csv_enrich.engine.run`, `csv_enrich.engine.context`).
"""

from csv_enrich.engine.forecast import REMEMBER_S, Path, duration, paths, total_requests

__all__ = ["REMEMBER_S", "Path", "duration", "paths", "total_requests"]
