"""Keep one API key under its request rate, so the server never has to answer 429.

Two rules decide when the next request may go, and the later of the two wins:

* spacing: slots `60 / rate_per_min` seconds apart, `burst` of them back to back when idle (a
  small run finishes in seconds instead of waiting before each call);
* the window: never more than `rate_per_min` slots in any `window_s` (+ `margin_s`) seconds. A
  server that counts a sliding 60-second window (or a fixed one, or a token bucket of the same
  size) then has nothing to refuse, the first minute included; the margin absorbs the difference
  between when a slot is granted here and when the request reaches the server.

On long runs the window rule costs `margin_s / (window_s + margin_s)` of the rate (1.6% at the
defaults). The pacer can also be paused until a moment the server named (a 429's Retry-After) and
slowed down when the server's limit is lower than configured. It knows nothing about HTTP; the
client asks it for a slot before every request.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections import deque
from collections.abc import Callable

NOTICEABLE_S = 3.0
WINDOW_S = 60.0
MARGIN_S = 1.0


class Pacer:
    """Grant at most `rate_per_min` slots in any minute, `burst` of them back to back.

    `waiting` is true while some caller is held back by the rate limit (for the progress bar).
    `clock` is injectable so tests can run on a fake clock.
    """

    def __init__(
        self,
        rate_per_min: float,
        *,
        burst: int = 1,
        clock: Callable[[], float] = time.monotonic,
        window_s: float = WINDOW_S,
        margin_s: float = MARGIN_S,
    ) -> None:
        if rate_per_min <= 0:
            raise ValueError("rate_per_min must be positive")
        self.interval = 60.0 / rate_per_min
        self.base_interval = self.interval
        self.per_window = max(1, math.floor(rate_per_min * window_s / 60.0))
        self.window = window_s + margin_s
        self.burst = max(1, min(burst, self.per_window))
        self._clock = clock
        self._tat = clock()  # theoretical arrival time of the next request (GCRA)
        # recent slots in grant order: [when (as granted, then as really sent), sent: 0/1]
        self._granted: deque[list[float]] = deque()
        self._unsent: deque[list[float]] = deque()  # the same entries, not sent yet, oldest first
        self._paused_until = 0.0
        self._lock = asyncio.Lock()
        self._waiters = 0

    @property
    def waiting(self) -> bool:
        """True while the rate limit holds work back noticeably: a server-ordered pause, or
        callers queued for slots more than a few seconds ahead."""
        now = self._clock()
        ahead = self._slot(now, max(self._tat, now, self._paused_until)) - now
        return now < self._paused_until or (
            self._waiters > 0 and ahead > max(NOTICEABLE_S, 2 * self.interval))

    def _slot(self, now: float, tat: float) -> float:
        """The earliest moment the next slot may be granted (both rules, and any pause)."""
        slot = max(now, tat - self.interval * (self.burst - 1), self._paused_until)
        if len(self._granted) >= self.per_window:
            times = sorted(e[0] for e in self._granted)
            slot = max(slot, times[-self.per_window] + self.window)
        return slot

    def reserve(self) -> float:
        """Book the next slot and return how long to wait for it (0 when it is free now)."""
        now = self._clock()
        tat = max(self._tat, now, self._paused_until)
        slot = self._slot(now, tat)
        self._tat = max(tat, slot) + self.interval
        entry = [slot, 0.0]
        self._granted.append(entry)
        self._unsent.append(entry)
        self._trim(now)
        return slot - now

    def _trim(self, now: float) -> None:
        """Forget slots that can no longer share a window with the next one (an unsent one
        only when it is long stale: its caller gave up without saying so)."""
        while len(self._granted) > self.per_window:
            first = self._granted[0]
            if first[0] + self.window * (1 if first[1] else 2) >= now:
                return
            self._granted.popleft()
            if not first[1] and self._unsent and self._unsent[0] is first:
                self._unsent.popleft()

    def sent(self) -> None:
        """A request goes out now on the oldest slot not yet used: the window counts it from
        now (a sender held up after its slot, by a busy loop or a caller, is counted when it
        really went, so the server never sees more than the limit in a minute)."""
        if self._unsent:
            entry = self._unsent.popleft()
            entry[0], entry[1] = max(entry[0], self._clock()), 1.0

    def refund(self) -> None:
        """Give back the last slot granted (it went unused): to the spacing rule, and to the
        window (the latest unsent slot is dropped; the others keep theirs until they go)."""
        self._tat = max(self._clock(), self._tat - self.interval)
        if self._unsent:
            entry = self._unsent.pop()
            self._granted.remove(entry)

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
