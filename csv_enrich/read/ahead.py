"""A lead file read in a thread while the process goes on with something else.

`csv-enrich estimate` spends about as long importing its own modules (Python, holding the GIL)
as reading a 100k-row CSV (mostly polars, which lets go of the GIL while it splits and scans):
started first, the read runs on the other core while the imports run on this one. A workbook's
read (zlib, polars and calamine, which let go of the GIL too) takes longer: the imports hide in
it whole.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

from csv_enrich.read.background import in_thread
from csv_enrich.read.source import read_table
from csv_enrich.read.table import TEXT_FORMATS, WORKBOOK_FORMATS, Table

HANDOVER_S = 0.0005


def read_ahead(
    path: Path, *, sheet: str | None = None, accept: Callable[[Table], bool] | None = None
) -> Callable[[], Table] | None:
    """`read_table(path, sheet=sheet, accept=accept)` started now in a thread; the function
    returned waits for it and gives its Table, or raises what it raised (InputError ...), as
    calling read_table then would. Delimited text and workbooks alike (a workbook's sheet is
    the one `accept` approves, as read_table picks it: pass what the caller would); None for
    a file of another kind (read_table refuses it then)."""
    suffix = Path(path).suffix.lower()
    if suffix not in TEXT_FORMATS and suffix not in WORKBOOK_FORMATS:
        return None
    import polars  # noqa: F401  (here: the thread would import it holding the GIL throughout)

    # Between its polars calls the read needs the GIL back from the importing thread, which
    # hands it over every `switch interval` (5 ms): a tenth of it meanwhile.
    interval = sys.getswitchinterval()
    sys.setswitchinterval(min(interval, HANDOVER_S))
    table = in_thread(lambda: read_table(path, sheet=sheet, accept=accept))

    def result() -> Table:
        # Asked for: the imports are done and this thread waits without the GIL; the read's
        # own threads (a workbook's: unzip, search, calamine) take turns as usual meanwhile.
        sys.setswitchinterval(interval)
        return table()

    return result
