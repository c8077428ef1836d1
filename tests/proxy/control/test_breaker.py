"""The circuit breaker, step by step on a fake clock."""

from __future__ import annotations

import pytest

from proxy.control.breaker import CircuitBreaker, backoff_seconds
from tests.harness.builders import FakeClock


def test_it_opens_after_consecutive_failures_and_then_refuses_at_once() -> None:
    breaker = CircuitBreaker(failure_threshold=2, reset_seconds=5, clock=FakeClock())
    breaker.record_failure()
    assert (breaker.state, breaker.allow()) == ("closed", True)
    breaker.record_failure()
    assert (breaker.state, breaker.allow()) == ("open", False)


def test_a_success_resets_the_failure_count() -> None:
    breaker = CircuitBreaker(failure_threshold=2, clock=FakeClock())
    breaker.record_failure()
    breaker.record_success()
    breaker.record_failure()
    assert breaker.state == "closed"


def test_after_the_reset_period_one_trial_goes_through() -> None:
    clock = FakeClock()
    breaker = CircuitBreaker(failure_threshold=1, reset_seconds=5, clock=clock)
    breaker.record_failure()
    clock.advance(5)
    assert breaker.state == "half_open"
    assert breaker.allow()
    assert not breaker.allow()  # only one trial at a time


@pytest.mark.parametrize(("outcome", "state"), [("success", "closed"), ("failure", "open")])
def test_the_trial_decides(outcome: str, state: str) -> None:
    clock = FakeClock()
    breaker = CircuitBreaker(failure_threshold=3, reset_seconds=5, clock=clock)
    for _ in range(3):
        breaker.record_failure()
    clock.advance(5)
    assert breaker.allow()
    if outcome == "success":
        breaker.record_success()
    else:
        breaker.record_failure()  # one failed trial reopens, whatever the threshold
    assert breaker.state == state


def test_threshold_must_be_positive() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        CircuitBreaker(failure_threshold=0)


@pytest.mark.parametrize(
    ("attempt", "jitter", "expected"),
    [
        (0, 0.0, 0.025),
        (0, 1.0, 0.05),
        (3, 1.0, 0.4),
        (10, 1.0, 2.0),
        (10, 0.0, 1.0),
        (500, 1.0, 2.0),
    ],
)
def test_backoff_grows_exponentially_up_to_the_cap(
    attempt: int, jitter: float, expected: float
) -> None:
    assert backoff_seconds(attempt, jitter=jitter) == pytest.approx(expected)
