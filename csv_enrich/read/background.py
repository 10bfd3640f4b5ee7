"""Work started in a thread while the process goes on with something else: worth it for what
lets go of the GIL (polars reading or scanning, hashing a file), on a machine with a core to spare.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def in_thread(work: Callable[[], T]) -> Callable[[], T]:
    """`work()` started now in a thread; the function returned waits for it to end and gives
    what it returned, or raises what it raised (as calling `work` then would)."""
    done: list[T] = []
    failed: list[BaseException] = []

    def run() -> None:
        try:
            done.append(work())
        except BaseException as exc:  # given to whoever asks for the result
            failed.append(exc)

    # Not a daemon: an interrupted process waits for the work to end before it finalises
    # (a thread stopped inside polars at exit is not safe).
    thread = threading.Thread(target=run, name="csv-enrich background")
    thread.start()

    def result() -> T:
        thread.join()
        if failed:
            raise failed[0]
        return done[0]

    return result
