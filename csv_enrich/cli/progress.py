"""Show engine progress: one live line on a terminal, plain periodic lines otherwise."""

from __future__ import annotations

import os
import sys
import time
from typing import TextIO

from csv_enrich.models import Progress

PLAIN_EVERY_S = 10.0


BAR_WIDTH = 20


def bar(tick: Progress) -> str:
    """`[########------------]`: the share of rows done, for the live line."""
    filled = BAR_WIDTH * tick.done // tick.total if tick.total else 0
    return "[" + "#" * filled + "-" * (BAR_WIDTH - filled) + "]"


class ProgressPrinter:
    """Render `Progress` ticks to a stream (stderr by default); silent when `quiet`."""

    def __init__(self, *, quiet: bool = False, stream: TextIO | None = None) -> None:
        self._stream = stream or sys.stderr
        self._quiet = quiet
        self._live = self._stream.isatty()
        self._started = time.monotonic()
        self._last_plain = 0.0
        self._drawn = False
        self._last_message = ""
        self._last_plain_line = ""
        self._width = 0  # characters of the live line now on screen

    def __enter__(self) -> ProgressPrinter:
        return self

    def __exit__(self, *exc: object) -> None:
        if self._drawn and self._live:
            self._stream.write("\n")
            self._stream.flush()

    def update(self, tick: Progress) -> None:
        """Show one tick (rate-limited for plain output)."""
        if self._quiet:
            return
        if tick.message and tick.message != self._last_message:
            self._message(tick.message)
        if self._live:
            self._draw(bar(tick) + " " + self.line(tick))
        elif self._due(tick) and (line := self.line(tick)) != self._last_plain_line:
            self._last_plain_line = line
            self._stream.write(line + "\n")
            self._stream.flush()

    def line(self, tick: Progress) -> str:
        """`  120/400 rows · 131 credits · 64 requests · ETA 2m10s (waiting on the rate limit)`."""
        parts = [
            f"{tick.done:,}/{tick.total:,} rows",
            f"{tick.credits:,} credits",
            f"{tick.requests:,} requests",
        ]
        eta = self._eta(tick)
        if eta:
            parts.append(f"ETA {eta}")
        text = " · ".join(parts)
        if tick.api_trouble:
            text += f" ({tick.api_trouble})"
        elif tick.waiting_on_rate_limit:
            text += " (waiting on the API rate limit)"
        return text

    def _draw(self, text: str) -> None:
        """Redraw the live line: cut to the terminal's width (a wrapped line cannot be redrawn)
        and padded over whatever the previous, longer line left on screen."""
        text = text[:max(20, self._columns() - 1)]
        self._stream.write("\r" + text.ljust(self._width if self._drawn else 0))
        self._stream.flush()
        self._width = len(text)
        self._drawn = True

    def _columns(self) -> int:
        try:
            return os.get_terminal_size(self._stream.fileno()).columns
        except (AttributeError, OSError, ValueError):  # not a real terminal: as before
            return 201

    def _message(self, message: str) -> None:
        self._last_message = message
        prefix = "\n" if self._drawn and self._live else ""
        self._stream.write(f"{prefix}{message}\n")
        self._drawn = False

    def _due(self, tick: Progress) -> bool:
        now = time.monotonic()
        if tick.done < tick.total and now - self._last_plain < PLAIN_EVERY_S:
            return False
        self._last_plain = now
        return True

    def _eta(self, tick: Progress) -> str:
        if tick.done <= 0 or tick.done >= tick.total:
            return ""
        elapsed = time.monotonic() - self._started
        seconds = int(elapsed / tick.done * (tick.total - tick.done))
        minutes, secs = divmod(seconds, 60)
        return f"{minutes}m{secs:02d}s" if minutes else f"{secs}s"
