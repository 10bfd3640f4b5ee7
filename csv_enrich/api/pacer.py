"""A token bucket that keeps one API key under its request rate, so 429s stay rare.

Requests are spaced evenly (`60 / rate_limit_per_min` seconds apart, a small burst allowed) and the
bucket can be paused until a moment the server named (a 429's Retry-After). The pacer knows nothing
about HTTP; the client asks it for a slot before every request.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

NOTICEABLE_S = 3.0


class Pacer:
    """Grant at most `rate_per_min` slots per minute, `burst` of them back to back.

    `waiting` is true while some caller is held back by the rate limit (for the progress bar).
    `clock` and `sleep` are injectable so tests can run on a fake clock.
    """

    def __init__(
        self,
        rate_per_min: float,
        *,
        burst: int = 1,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if rate_per_min <= 0:
            raise ValueError("rate_per_min must be positive")
        self.interval = 60.0 / rate_per_min
        self.base_interval = self.interval
        self.burst = max(1, burst)
        self._clock = clock
        self._tat = clock()  # theoretical arrival time of the next request (GCRA)
        self._paused_until = 0.0
        self._lock = asyncio.Lock()
        self._waiters = 0

    @property
    def waiting(self) -> bool:
        """True while the rate limit holds work back noticeably: a server-ordered pause, or
        callers queued for slots more than a few seconds ahead."""
        now = self._clock()
        ahead = self._tat - now
        return now < self._paused_until or (
            self._waiters > 0 and ahead > max(NOTICEABLE_S, 2 * self.interval))

    def reserve(self) -> float:
        """Book the next slot and return how long to wait for it (0 when it is free now)."""
        now = self._clock()
        tat = max(self._tat, now, self._paused_until)
        slot = max(now, tat - self.interval * (self.burst - 1), self._paused_until)
        self._tat = tat + self.interval
        return slot - now

    def refund(self) -> None:
        """Give back the last slot granted (it went unused)."""
        self._tat = max(self._clock(), self._tat - self.interval)

    def pause_until(self, moment: float) -> None:
        """Grant nothing before `moment` (on the pacer's clock), e.g. after a 429."""
        self._paused_until = max(self._paused_until, moment)

    def pause_for(self, seconds: float) -> None:
        """Grant nothing for the next `seconds`."""
        self.pause_until(self._clock() + max(0.0, seconds))

    def slow_down(self, factor: float = 1.1, limit: float = 2.0) -> None:
        """The server says we are too fast: space slots `factor` wider (at most `limit` times
        the configured spacing), so a plan with a lower limit than configured stops colliding."""
        self.interval = min(self.interval * factor, self.base_interval * limit)

    def recover(self, factor: float = 0.99) -> None:
        """A request went through: creep back towards the configured spacing."""
        self.interval = max(self.base_interval, self.interval * factor)

    async def acquire(self) -> None:
        """Wait for a slot."""
        async with self._lock:
            delay = self.reserve()
        if delay <= 0:
            return
        self._waiters += 1
        try:
            await asyncio.sleep(delay)
        finally:
            self._waiters -= 1
