"""Money crosses into the counter store as integer micro-dollars, exactly and never under."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from agentops.statebus import from_micros, to_micros


@pytest.mark.parametrize(
    ("usd", "micros"),
    [
        ("0", 0),
        ("1", 1_000_000),
        ("0.000001", 1),
        ("0.0000001", 1),  # sub-micro costs round up: a counter never under-counts
        ("12.3456789", 12_345_679),
        ("9000000000", 9_000_000_000_000_000),
    ],
)
def test_to_micros(usd: str, micros: int) -> None:
    assert to_micros(Decimal(usd)) == micros


def test_negative_amounts_are_refused() -> None:
    with pytest.raises(ValueError, match="negative"):
        to_micros(Decimal("-0.01"))


@given(st.decimals(min_value=0, max_value=10**9, places=6, allow_nan=False))
def test_six_decimal_amounts_round_trip_exactly(amount: Decimal) -> None:
    assert from_micros(to_micros(amount)) == amount


@given(st.decimals(min_value=0, max_value=10**6, places=12, allow_nan=False))
def test_rounding_is_up_by_less_than_a_micro(amount: Decimal) -> None:
    back = from_micros(to_micros(amount))
    assert amount <= back < amount + Decimal("0.000001")
