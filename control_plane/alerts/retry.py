"""When to try a failed delivery again, and when to give up (pure).

Exponential backoff with a cap; after ``MAX_ATTEMPTS`` tries the delivery is dead-lettered
(kept, listed, and re-sendable by hand).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from agentops.backoff import backoff_delay

MAX_ATTEMPTS = 6
BASE_DELAY = timedelta(seconds=10)
MAX_DELAY = timedelta(hours=1)


def next_attempt_at(attempts: int, now: datetime) -> datetime | None:
    """After ``attempts`` failed tries: when to try again, or None for the dead letter."""
    if attempts >= MAX_ATTEMPTS:
        return None
    delay = backoff_delay(
        attempts - 1, base=BASE_DELAY.total_seconds(), cap=MAX_DELAY.total_seconds()
    )
    return now + timedelta(seconds=delay)
