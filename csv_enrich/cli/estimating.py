"""What `csv-enrich estimate` (and `enrich --dry-run`) prints, worked out the way a short
process is fastest: the input read in a thread while the modules the estimate needs are
imported (read.ahead), and the cyclic garbage collector off meanwhile (the imports and the plan
make hundreds of thousands of objects and next to no cycles: the collector ran ~100 times,
20-30 ms, to find nothing worth it).
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

from csv_enrich.models import EnrichOptions
from csv_enrich.read.table import Table


def estimate_output(options: EnrichOptions, *, as_json: bool) -> list[str]:
    """The lines `estimate` prints (one: the JSON document, with `as_json`)."""
    with _collector_off():
        from csv_enrich.read.ahead import read_ahead

        # while the rest is imported (a workbook's sheet: the first with identifiers, as
        # plan.load)
        read = read_ahead(options.input, sheet=options.sheet, accept=_has_identifiers)
        from csv_enrich.cli.render import estimate_dict, estimate_lines
        from csv_enrich.runner_estimate import estimate_file

        est = estimate_file(options, read=read)
        rate = options.connection.rate_limit_per_min
        if as_json:
            import json

            return [json.dumps(estimate_dict(est, rate=rate), indent=2, ensure_ascii=False)]
        return estimate_lines(est, rate=rate)


def _has_identifiers(table: Table) -> bool:
    """mapping's has_identifiers, imported once a sheet read ahead asks (the imports are done
    by then, or the import waits for them)."""
    from csv_enrich.mapping.columns import has_identifiers

    return has_identifiers(table)


@contextmanager
def _collector_off() -> Iterator[None]:
    """The cyclic garbage collector off inside, as it was after."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()
