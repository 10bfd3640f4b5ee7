"""Faults, off by default, reproducible with a seed.

Each /api request draws from a seeded random stream in arrival order: with probability `fault_rate`
it faults, the kind drawn by `fault_weights`:
  5xx          answer 500/502/503 with the error envelope (nothing done)
  drop         drop the connection before processing (nothing done)
  lost_answer  do the work, commit it, then drop the connection without an answer
  429_burst    answer 429 to this request and the next `burst_length - 1`
  latency      add `fault_latency_ms` before answering
  late_answer  do the work, commit it, then wait `fault_latency_ms` before answering (a client
               that gives up or is killed meanwhile never hears it was done)

Tests queue kinds for the next requests (`forced`), or for the next requests to a path
(`forced_on`: (path suffix, kind) pairs, each taken by the first request whose path ends so).
"""

from __future__ import annotations

import random
import threading

from .config import SandboxConfig


class Faults:
    """Draws the fault (or None) for each request; can be reconfigured at run time."""

    def __init__(self, config: SandboxConfig) -> None:
        self.rate = config.fault_rate
        self.weights = dict(config.fault_weights)
        self.burst_length = config.burst_length
        self.rng = random.Random(config.seed)
        self.burst_left = 0
        self.forced: list[str] = []  # queued kinds for the next requests (tests)
        self.forced_on: list[tuple[str, str]] = []  # (path suffix, kind) queued for a path
        self.lock = threading.Lock()

    def draw(self, path: str = "") -> str | None:
        """The fault kind for the next request (to `path`), or None."""
        with self.lock:
            for n, (suffix, kind) in enumerate(self.forced_on):
                if path.endswith(suffix):
                    del self.forced_on[n]
                    return self._start(kind)
            if self.forced:
                return self._start(self.forced.pop(0))
            if self.burst_left > 0:
                self.burst_left -= 1
                return "429_burst"
            if self.rate <= 0 or self.rng.random() >= self.rate:
                return None
            kinds = [k for k, w in self.weights.items() if w > 0]
            if not kinds:
                return None
            return self._start(self.rng.choices(kinds, [self.weights[k] for k in kinds])[0])

    def _start(self, kind: str) -> str:
        if kind == "429_burst":
            self.burst_left = max(0, self.burst_length - 1)
        return kind

    def status_5xx(self) -> int:
        """Which 5xx a 5xx fault answers."""
        with self.lock:
            return self.rng.choice((500, 502, 503))
