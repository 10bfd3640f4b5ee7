"""Which failed calls are retried, and after how long; stamina runs the attempts.

* free and idempotent calls: transport errors, 5xx and 429;
* paid calls: only when the request certainly did no work (429, or the connection could not be
  opened). A 5xx or a lost answer is raised to the caller, who must find out from the journal and
  the lead list whether the work happened before resending;
* never another 4xx, nor a switched-off feature (the CSV-import kill switch is a 503 that stays a
  503).

The wait is the server's Retry-After / ``retry_after_ms`` when it gave one, else exponential
backoff with jitter. stamina caps the attempts and, under `stamina.set_testing`, makes every wait
instant.
"""

from __future__ import annotations

import itertools
import logging
import random
from collections.abc import AsyncIterator, Callable
from typing import Literal

import stamina

from csv_enrich import errors

Safety = Literal["safe", "paid"]
OnRetry = Callable[[errors.ApiError, int, float], None]
NEVER_RETRY = frozenset({"feature_disabled"})

# stamina logs each scheduled retry at WARNING; with no logging configured Python would print it
# on stderr, and the library never prints (the progress line says it). An application that sets
# up logging still gets the records.
logging.getLogger("stamina").addHandler(logging.NullHandler())


def attempts(safety: Safety, *, max_retries: int, base: float, cap: float,
             on_retry: OnRetry) -> AsyncIterator[stamina.Attempt]:
    """stamina's attempts for one call: `async for attempt in ...: with attempt: ...`."""
    hook = backoff_hook(safety, base=base, cap=cap, on_retry=on_retry)
    return stamina.retry_context(on=hook, attempts=max_retries + 1, timeout=None).__aiter__()


def backoff_hook(safety: Safety, *, base: float, cap: float,
                 on_retry: OnRetry) -> Callable[[BaseException], bool | float]:
    """stamina's `on` hook for one call: False when the failure must not be retried, else the
    seconds to wait; `on_retry(exc, next attempt number, wait)` hears of each retry first."""
    failures = itertools.count()

    def hook(exc: BaseException) -> bool | float:
        if not isinstance(exc, errors.ApiError) or not retryable(exc, safety):
            return False
        attempt = next(failures)
        wait = delay(exc, attempt, base=base, cap=cap)
        on_retry(exc, attempt + 2, wait)
        return wait

    return hook


def retryable(exc: errors.ApiError, safety: Safety) -> bool:
    """Whether a call that failed with `exc` may be sent again."""
    if exc.code in NEVER_RETRY:
        return False
    if isinstance(exc, errors.RateLimitedError):
        return True
    if isinstance(exc, errors.TransportError):
        return safety == "safe" or exc.code == "not_sent"
    return isinstance(exc, errors.ServerError) and safety == "safe"


def delay(exc: errors.ApiError, attempt: int, *, base: float, cap: float) -> float:
    """Seconds to wait before retrying `exc` after `attempt` + 1 failures."""
    if exc.retry_after is not None:
        return float(exc.retry_after) + random.uniform(0, min(1.0, base))
    backoff: float = min(cap, base * 2**attempt)
    return backoff * random.uniform(0.5, 1.0)
