"""csv-enrich: enrich lead spreadsheets through the Cleanlist API, with an honest cost report.

    >>> from csv_enrich import EnrichOptions, enrich_file
    >>> report = enrich_file(EnrichOptions(input=Path("leads.xlsx"), output=Path("out.xlsx"),
    ...                                    api_key=os.environ["CLEANLIST_API_KEY"]))

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
from csv_enrich.models import EnrichOptions

if TYPE_CHECKING:
    from csv_enrich.report import Report
    from csv_enrich.runner import Estimate, enrich_file, estimate_file

__all__ = [
    "ApiError",
    "AuthError",
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
    "UsageError",
    "enrich_file",
    "estimate_file",
]

_LAZY = {
    "enrich_file": "runner",
    "estimate_file": "runner",
    "Estimate": "runner",
    "Report": "report",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(f".{_LAZY[name]}", __name__), name)
    raise AttributeError(f"module 'csv_enrich' has no attribute {name!r}")
