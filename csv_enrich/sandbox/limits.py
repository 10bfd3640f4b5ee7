"""Rate limits: token buckets (capacity = the per-minute rate, refilled continuously), or, with
`window_s`, a sliding window that refuses a request when the last `window_s` seconds already hold
the limit (stricter: what a client pacing itself must survive). Real time, not scaled.
"""

from __future__ import annotations

import math
import time
from collections import deque


class TokenBucket:
    """One bucket; `take()` returns 0 when allowed, else the seconds until a token is there."""

    def __init__(self, per_min: int) -> None:
        self.capacity = float(per_min)
        self.rate = per_min / 60.0
        self.tokens = float(per_min)
        self.at = time.monotonic()

    def _refill(self, now: float) -> None:
        self.tokens = min(self.capacity, self.tokens + (now - self.at) * self.rate)
        self.at = now

    def wait_s(self, now: float) -> float:
        """Seconds until one token is available (0 if one is there now)."""
        self._refill(now)
        return 0.0 if self.tokens >= 1 else (1 - self.tokens) / self.rate

    def take(self, now: float) -> None:
        """Spend one token (call after wait_s returned 0)."""
        self.tokens -= 1


class SlidingWindow:
    """At most `limit` requests in any `window_s` seconds (same interface as TokenBucket)."""

    def __init__(self, limit: int, window_s: float) -> None:
        self.limit = limit
        self.window_s = window_s
        self.times: deque[float] = deque()

    def wait_s(self, now: float) -> float:
        """Seconds until the oldest request in the window leaves it (0 if there is room)."""
        while self.times and self.times[0] <= now - self.window_s:
            self.times.popleft()
        return 0.0 if len(self.times) < self.limit else self.times[0] + self.window_s - now

    def take(self, now: float) -> None:
        """Count one request (call after wait_s returned 0)."""
        self.times.append(now)


class RateLimiter:
    """Per-key and per-organisation limits; a request must get through both. `window_s` None:
    token buckets; else sliding windows of that many seconds holding the limit each."""

    def __init__(self, per_key: int, per_org: int, window_s: float | None = None) -> None:
        self.per_key = per_key
        self.per_org = per_org
        self.window_s = window_s
        self.buckets: dict[str, TokenBucket | SlidingWindow] = {}

    def _bucket(self, name: str, per_min: int) -> TokenBucket | SlidingWindow | None:
        if per_min <= 0:
            return None
        if name not in self.buckets:
            self.buckets[name] = (TokenBucket(per_min) if self.window_s is None
                                  else SlidingWindow(per_min, self.window_s))
        return self.buckets[name]

    def check(self, key: str, org_id: str) -> int:
        """0 if the request may go (a token is taken from both buckets), else retry-after in ms."""
        now = time.monotonic()
        pair = [self._bucket("key:" + key, self.per_key),
                self._bucket("org:" + org_id, self.per_org)]
        buckets = [b for b in pair if b is not None]
        wait = max((b.wait_s(now) for b in buckets), default=0.0)
        if wait > 0:
            return max(1, math.ceil(wait * 1000))
        for b in buckets:
            b.take(now)
        return 0
