"""A circuit breaker for calls to Redis (pure: the clock is injected, no I/O).

After ``failure_threshold`` consecutive failures it opens: callers skip Redis and apply their
fail mode at once instead of each waiting for a timeout. After ``reset_seconds`` it lets one
trial call through (half-open); success closes it, failure opens it again.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Literal

from agentops.backoff import backoff_delay

BreakerState = Literal["closed", "open", "half_open"]


class CircuitBreaker:
    def __init__(
        self,
        *,
        failure_threshold: int = 3,
        reset_seconds: float = 2.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if failure_threshold < 1:
            raise ValueError("failure_threshold must be at least 1")
        self._threshold = failure_threshold
        self._reset = reset_seconds
        self._clock = clock
        self._failures = 0
        self._opened_at: float | None = None
        self._trial_in_flight = False

    @property
    def state(self) -> BreakerState:
        if self._opened_at is None:
            return "closed"
        if self._trial_in_flight or self._clock() >= self._opened_at + self._reset:
            return "half_open"
        return "open"

    def allow(self) -> bool:
        """May a call go to Redis now? In half-open state only one trial at a time may."""
        state = self.state
        if state == "closed":
            return True
        if state == "half_open" and not self._trial_in_flight:
            self._trial_in_flight = True
            return True
        return False

    def record_success(self) -> None:
        self._failures = 0
        self._opened_at = None
        self._trial_in_flight = False

    def record_failure(self) -> None:
        self._failures += 1
        if self._trial_in_flight or self._failures >= self._threshold:
            self._opened_at = self._clock()
            self._trial_in_flight = False


def backoff_seconds(
    attempt: int, *, base: float = 0.05, cap: float = 2.0, jitter: float = 0.5
) -> float:
    """Exponential reconnect delay; ``jitter`` in [0, 1] is the caller's random draw, so that
    replicas reconnecting after one Redis restart do not stampede it in step."""
    return backoff_delay(attempt, base=base, cap=cap, spread=0.5, draw=jitter)
