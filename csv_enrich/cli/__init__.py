"""The command line: click commands (`commands`; the account commands task, status and runs in
`account`, their views in `account_view`), option parsing (`options`), rendering of estimates and
reports (`render`; what estimate prints, worked out as fast as a short process can:
`estimating`), progress lines (`progress`) and the allocator setting the process runs with
(`memory`).

The only layer that prints, prompts or exits. `main` is the `csv-enrich` entry point.
"""

from csv_enrich.cli import account as _account  # noqa: F401  (adds task, status, runs to main)
from csv_enrich.cli.commands import main

__all__ = ["main"]
