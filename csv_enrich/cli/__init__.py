"""The command line: click commands (`commands`; the account commands task, status and runs in
`account`, their views in `account_view`), option parsing (`options`), rendering of estimates and
reports (`render`; what estimate prints, worked out as fast as a short process can:
`estimating`), progress lines (`progress`) and the allocator setting the process runs with
(`memory`).

The only layer that prints, prompts or exits. `main` is the click group; `run` the `csv-enrich`
entry point, which runs it as a process (`process`: a finished estimate's ends at once).
"""

from csv_enrich.cli import account as _account  # noqa: F401  (adds task, status, runs to main)
from csv_enrich.cli.commands import main, run

__all__ = ["main", "run"]
