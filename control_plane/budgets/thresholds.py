"""Which alert thresholds a spend has reached (pure, exact).

Thresholds are percentages of the limit. A threshold counts as reached at exactly its level
(80% of $100 is reached at $80.00). Sending each threshold once per period is the store's job
(a unique constraint on budget, period and threshold); this only says which are reached now.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal

_HUNDRED = Decimal(100)


def percent_of(limit: Decimal, spend: Decimal) -> Decimal:
    """Spend as a percentage of the limit (exact). A zero limit allows nothing: it shows 0%
    used until something is spent on it, then 100% (not "100% used" while nothing was)."""
    if limit <= 0:
        return _HUNDRED if spend > 0 else Decimal(0)
    return spend * _HUNDRED / limit


def is_reached(limit: Decimal, spend: Decimal, percent: Decimal | int) -> bool:
    # Compare spend*100 with limit*percent: no division, so no rounding at the boundary.
    return spend * _HUNDRED >= limit * Decimal(percent)


def reached_thresholds(
    limit: Decimal, spend: Decimal, thresholds: Iterable[Decimal | int]
) -> list[Decimal]:
    """The thresholds ``spend`` has reached, ascending and without duplicates."""
    levels = sorted({Decimal(t) for t in thresholds})
    return [level for level in levels if is_reached(limit, spend, level)]
