"""csv-enrich: enrich lead spreadsheets through the Cleanlist API, with an honest cost report.

    >>> from csv_enrich import Connection, EnrichOptions, enrich_file, fetch_balance
    >>> api = Connection(api_key=os.environ["CLEANLIST_API_KEY"])
    >>> report = enrich_file(EnrichOptions(input=Path("leads.xlsx"), output=Path("out.xlsx"),
    ...                                    connection=api))
    >>> fetch_balance(api)

`Connection` says where and as whom to talk to the API (base URL, key, state dir, rate limit);
`EnrichOptions` is one job (input, output, type, kind, mode, mapping, limits) run on one.
`enrich_task(TaskJob(...), connection)` enriches a cohort (a `cl-task_` handle);
`workflow_status(connection, id)` reads a workflow; `past_runs(connection)` lists the journal's.

The heavy parts (polars, httpx) are imported on first use, so `csv-enrich --help` stays fast.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from csv_enrich.errors import (
    ApiError,
    AuthError,
    CreditsError,
    CsvEnrichError,
    ExitStatus,
    InputError,
    InsufficientCreditsError,
    Interrupted,
    MappingError,
    OutputError,
    UsageError,
)
from csv_enrich.models import Connection, EnrichOptions

if TYPE_CHECKING:
    from csv_enrich.account import past_run, past_runs, workflow_status
    from csv_enrich.cohort import TaskJob, enrich_task
    from csv_enrich.engine.context import Tuning
    from csv_enrich.report import Report
    from csv_enrich.runner import enrich_file, fetch_balance
    from csv_enrich.runner_estimate import Estimate, estimate_file

__all__ = [
    "ApiError",
    "AuthError",
    "Connection",
    "CreditsError",
    "CsvEnrichError",
    "EnrichOptions",
    "Estimate",
    "ExitStatus",
    "InputError",
    "InsufficientCreditsError",
    "Interrupted",
    "MappingError",
    "OutputError",
    "Report",
    "TaskJob",
    "Tuning",
    "UsageError",
    "enrich_file",
    "enrich_task",
    "estimate_file",
    "fetch_balance",
    "past_run",
    "past_runs",
    "workflow_status",
]

_LAZY = {
    "enrich_file": "runner",
    "estimate_file": "runner_estimate",
    "Estimate": "runner_estimate",
    "fetch_balance": "runner",
    "Report": "report",
    "TaskJob": "cohort",
    "enrich_task": "cohort",
    "workflow_status": "account",
    "past_runs": "account",
    "past_run": "account",
    "Tuning": "engine.context",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(f".{_LAZY[name]}", __name__), name)
    raise AttributeError(f"module 'csv_enrich' has no attribute {name!r}")
