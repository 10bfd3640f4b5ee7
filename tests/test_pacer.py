"""The pacer against a server that counts a sliding 60-second window, on a fake clock."""

from __future__ import annotations

import random
from bisect import bisect_right

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from csv_enrich.api.client import default_burst
from csv_enrich.api.pacer import Pacer


class SlidingWindowServer:
    """Answers 429 when the key already had `limit` accepted requests in the last 60 s."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.accepted: list[float] = []
        self.refused = 0

    def receive(self, at: float) -> None:
        recent = len(self.accepted) - bisect_right(self.accepted, at - 60.0)
        if recent >= self.limit:
            self.refused += 1
        else:
            self.accepted.append(at)


def drive(rate: int, gaps: list[float], *, latency_s: float = 0.5, late_s: float = 0.0,
          seed: int = 0) -> tuple[SlidingWindowServer, list[float]]:
    """Callers ask for a slot one after another (each `gap` after the previous slot) and send
    at their slot, or up to `late_s` after it (a busy loop holding that caller alone up, the
    others go on); each request reaches the server after up to `latency_s`."""
    now = [0.0]
    pacer = Pacer(rate, burst=default_burst(rate), clock=lambda: now[0])
    server, rng = SlidingWindowServer(rate), random.Random(seed)
    pending: list[float] = []  # send times not yet reached
    sent: list[float] = []

    def send_until(moment: float) -> None:
        pending.sort()
        while pending and pending[0] <= moment:
            now[0] = pending.pop(0)
            pacer.sent()
            sent.append(now[0])

    ask = 0.0
    for gap in gaps:
        ask += gap
        send_until(ask)
        now[0] = ask
        slot = ask + pacer.reserve()
        pending.append(slot + (rng.uniform(0, late_s) if late_s else 0.0))
        ask = slot
    send_until(float("inf"))
    for at in sorted(t + rng.uniform(0, latency_s) for t in sent):
        server.receive(at)
    return server, sorted(sent)


@pytest.mark.parametrize("rate", [30, 60, 7, 120])
def test_no_429_from_start_up_on_and_the_rate_is_used(rate: int) -> None:
    """With work always waiting, no request is refused (the first minute included: the old pacer
    sent 34 at 30/min) and a 30-minute run uses at least 95% of the rate."""
    server, sent = drive(rate, [0.0] * (rate * 40))
    assert server.refused == 0
    assert sum(1 for s in sent if s < 60.0) <= rate
    in_30_min = sum(1 for s in sent if s < 1800.0)
    assert in_30_min >= 0.95 * rate * 30


def test_a_small_run_still_goes_out_at_once() -> None:
    """Five requests at 30/min are granted back to back (the burst), the sixth 2 s later."""
    _, sent = drive(30, [0.0] * 6)
    assert sent[:5] == [0.0] * 5
    assert sent[5] == pytest.approx(2.0)


@settings(max_examples=200, deadline=None)
@given(rate=st.sampled_from([5, 30, 60]),
       gaps=st.lists(st.floats(min_value=0, max_value=90), min_size=1, max_size=150),
       seed=st.integers(0, 1000))
def test_any_demand_pattern_stays_within_every_window(rate: int, gaps: list[float],
                                                      seed: int) -> None:
    """Whatever the pauses between callers, no 60-second window holds more than the rate, and
    a server with up to half a second of network delay refuses nothing."""
    server, sent = drive(rate, gaps, seed=seed)
    for i, start in enumerate(sent):
        assert bisect_right(sent, start + 60.0) - i <= rate
    assert server.refused == 0


def test_a_429_pause_is_honoured_after_the_window_too() -> None:
    """A server-ordered pause holds the next slot back even when the window has room."""
    now = [0.0]
    pacer = Pacer(30, clock=lambda: now[0])
    assert pacer.reserve() == 0
    pacer.pause_for(12)
    assert pacer.reserve() == pytest.approx(12.0)


@settings(max_examples=100, deadline=None)
@given(gaps=st.lists(st.floats(min_value=0, max_value=5), min_size=40, max_size=200),
       seed=st.integers(0, 1000))
def test_a_late_sender_is_counted_when_it_really_went(gaps: list[float], seed: int) -> None:
    """Requests that go out up to 5 s after their slot (a busy event loop) are counted from when
    they went: the server still refuses nothing (counting the slot instead sent 31 in a minute)."""
    server, _ = drive(30, gaps, late_s=5.0, seed=seed)
    assert server.refused == 0
