from __future__ import annotations

import pytest

from agentops.backoff import backoff_delay


@pytest.mark.parametrize(
    ("retry", "expected"),
    [(-3, 1.0), (0, 1.0), (1, 2.0), (2, 4.0), (3, 8.0), (4, 10.0), (10_000, 10.0)],
)
def test_the_delay_doubles_from_base_up_to_the_cap(retry: int, expected: float) -> None:
    assert backoff_delay(retry, base=1.0, cap=10.0) == expected


@pytest.mark.parametrize(
    ("spread", "draw", "expected"),
    [
        (0.0, 0.0, 8.0),  # no jitter: the draw does not matter
        (0.0, 1.0, 8.0),
        (0.5, 0.0, 4.0),  # equal jitter: half fixed, half drawn
        (0.5, 0.5, 6.0),
        (0.5, 1.0, 8.0),
        (1.0, 0.0, 0.0),  # full jitter: all drawn
        (1.0, 0.25, 2.0),
        (1.0, 1.0, 8.0),
    ],
)
def test_spread_is_the_share_of_the_delay_the_draw_scales(
    spread: float, draw: float, expected: float
) -> None:
    assert backoff_delay(3, base=1.0, cap=100.0, spread=spread, draw=draw) == expected


@pytest.mark.parametrize(("spread", "draw"), [(-0.1, 0.5), (1.5, 0.5), (0.5, -1.0), (0.5, 2.0)])
def test_a_share_or_draw_outside_zero_to_one_is_refused(spread: float, draw: float) -> None:
    with pytest.raises(ValueError, match="spread and draw"):
        backoff_delay(1, base=1.0, cap=10.0, spread=spread, draw=draw)


def test_each_retry_loop_keeps_its_schedule() -> None:
    """The shipper (full jitter), the Redis reconnects (equal jitter) and alert deliveries (no
    jitter) take their delays from the one formula, with their own numbers."""
    from datetime import UTC, datetime, timedelta

    from control_plane.alerts.retry import MAX_ATTEMPTS, next_attempt_at
    from proxy.control.breaker import backoff_seconds
    from proxy.shipper import backoff_delay as shipper_delay

    assert [shipper_delay(n, rand=lambda: 0.5) for n in (1, 2, 8, 9)] == [0.25, 0.5, 30.0, 30.0]
    assert [backoff_seconds(n, jitter=0.0) for n in (0, 1, 5, 6)] == [0.025, 0.05, 0.8, 1.0]
    now = datetime(2026, 1, 1, tzinfo=UTC)
    waits = [next_attempt_at(n, now) for n in range(1, MAX_ATTEMPTS + 1)]
    assert waits == [now + timedelta(seconds=s) for s in (10, 20, 40, 80, 160)] + [None]
