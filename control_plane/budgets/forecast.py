"""Projected spend at the end of a budget period from the current run rate (pure, exact).

The run rate is spend so far divided by time elapsed in the window; the projection adds that
rate over the time left. Before any time has elapsed there is no rate, and the projection is
the spend itself. Results are rounded to the micro-dollar (half-even).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import ROUND_HALF_EVEN, Decimal

_MICRO = Decimal("0.000001")


def _micros(delta: timedelta) -> int:
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def project_spend(spend: Decimal, start: datetime, end: datetime, now: datetime) -> Decimal:
    """Spend expected by ``end`` if the rate seen in ``[start, now)`` continues."""
    total = _micros(end - start)
    elapsed = min(max(_micros(now - start), 0), total)
    if elapsed == 0 or elapsed == total:
        return spend.quantize(_MICRO, rounding=ROUND_HALF_EVEN)
    projected = spend * Decimal(total) / Decimal(elapsed)
    return projected.quantize(_MICRO, rounding=ROUND_HALF_EVEN)
