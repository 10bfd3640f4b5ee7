"""A file is complete when its size and modification time have not changed for `settle` seconds.

Copies over a network, downloads and synced folders write a file in several steps; watching
the size and mtime catches all of them without knowing which program is writing.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from pathlib import Path

Clock = Callable[[], float]


class Settler:
    """Remembers when each file last changed; `ready` once it has been still long enough."""

    def __init__(self, settle: float, clock: Clock = time.monotonic) -> None:
        self.settle = settle
        self._clock = clock
        self._seen: dict[Path, tuple[tuple[int, int], float]] = {}

    def observe(self, paths: Iterable[Path]) -> list[Path]:
        """Look at the files now; return those unchanged for `settle` seconds (oldest change
        first). Files no longer there are forgotten."""
        now = self._clock()
        seen: dict[Path, tuple[tuple[int, int], float]] = {}
        for path in paths:
            try:
                st = path.lstat()
            except OSError:
                continue
            signature = (st.st_size, st.st_mtime_ns)
            before = self._seen.get(path)
            seen[path] = before if before and before[0] == signature else (signature, now)
        self._seen = seen
        ready = [p for p, (_, since) in seen.items() if now - since >= self.settle]
        return sorted(ready, key=lambda p: (seen[p][0][1], p.name))

    def pending(self) -> bool:
        """Whether some file is still settling (worth looking again soon)."""
        now = self._clock()
        return any(now - since < self.settle for _, since in self._seen.values())

    def forget(self, path: Path) -> None:
        self._seen.pop(path, None)
