"""How the `csv-enrich` process asks polars' allocator to hand freed memory back at once.

polars allocates through its own jemalloc, which by default keeps the pages it freed for about
ten seconds, for reuse. A run frees much of what it used to read and plan a file (the file's bytes
inside polars, the frames the identifiers are worked out in) and then builds Python objects that
cannot reuse those pages: on a 100k-row CSV the process held ~236 MiB at the end of the plan with
them, ~190 MiB without. `_RJEM_MALLOC_CONF` (jemalloc's settings, under the prefix polars builds
it with) is read once, when polars is loaded, so it is set here, by the command, before anything
imports polars: never by importing the library (a program using it keeps its own allocator
settings), and never over a value the user set (theirs wins, even an empty one).
"""

from __future__ import annotations

import os
import sys
from collections.abc import MutableMapping

ALLOCATOR_SETTINGS = "_RJEM_MALLOC_CONF"
RETURN_AT_ONCE = "dirty_decay_ms:0,muzzy_decay_ms:0"


def return_freed_memory(environ: MutableMapping[str, str] = os.environ) -> None:
    """Set polars' allocator to return freed pages at once, unless the user set its settings or
    polars is already loaded (too late to matter: the setting would only reach child
    processes)."""
    if any(name == "polars" or name.startswith("_polars_runtime") for name in sys.modules):
        return
    environ.setdefault(ALLOCATOR_SETTINGS, RETURN_AT_ONCE)
