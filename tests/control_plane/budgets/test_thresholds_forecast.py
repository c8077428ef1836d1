"""Threshold crossing and month-end forecasts: pure and exact."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal as D

import pytest

from control_plane.budgets import percent_of, project_spend, reached_thresholds
from control_plane.budgets.thresholds import is_reached


@pytest.mark.parametrize(
    ("limit", "spend", "thresholds", "reached"),
    [
        (D("100"), D("79.99"), [50, 80, 100], [D(50)]),
        (D("100"), D("80.00"), [50, 80, 100], [D(50), D(80)]),  # exactly at the level
        (D("100"), D("150"), [100, 80, 80], [D(80), D(100)]),  # sorted, deduplicated
        (D("0.30"), D("0.1"), [D("33.3"), D("33.34")], [D("33.3")]),  # no float rounding
        (D("10"), D("0"), [1], []),
    ],
)
def test_reached_thresholds(limit: D, spend: D, thresholds: list[D], reached: list[D]) -> None:
    assert reached_thresholds(limit, spend, thresholds) == reached


def test_percent_of_and_a_zero_limit_is_not_used_until_spent_on() -> None:
    assert percent_of(D("200"), D("50")) == D(25)
    assert percent_of(D("0"), D("0")) == D(0)
    assert percent_of(D("0"), D("0.01")) == D(100)
    assert is_reached(D("0"), D("0"), 100)


START, END = datetime(2026, 11, 1, tzinfo=UTC), datetime(2026, 12, 1, tzinfo=UTC)


@pytest.mark.parametrize(
    ("spend", "now", "projected"),
    [
        (D("10"), datetime(2026, 11, 11, tzinfo=UTC), D("30.000000")),  # a third elapsed
        (D("10"), datetime(2026, 11, 16, tzinfo=UTC), D("20.000000")),
        (D("0"), datetime(2026, 11, 20, tzinfo=UTC), D("0.000000")),
        (D("5"), START, D("5.000000")),  # no elapsed time: no rate yet
        (D("42"), END, D("42.000000")),  # the period is over
        (D("42"), datetime(2027, 1, 1, tzinfo=UTC), D("42.000000")),
        (D("1"), datetime(2026, 11, 4, tzinfo=UTC), D("10.000000")),
    ],
)
def test_month_end_forecast_from_the_run_rate(spend: D, now: datetime, projected: D) -> None:
    assert project_spend(spend, START, END, now) == projected
