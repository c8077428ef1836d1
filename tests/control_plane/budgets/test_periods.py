"""Budget period windows: local calendar boundaries in the org's time zone, DST included."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from control_plane.budgets import window_at

PARIS = ZoneInfo("Europe/Paris")


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


@pytest.mark.parametrize(
    ("period", "tz", "now", "start", "end", "key"),
    [
        # A daily budget in Paris resets at Paris midnight (23:00 UTC in winter).
        ("daily", "Europe/Paris", utc(2026, 11, 27, 22, 59), utc(2026, 11, 26, 23), utc(2026, 11, 27, 23), "d:2026-11-27"),
        ("daily", "Europe/Paris", utc(2026, 11, 27, 23, 0), utc(2026, 11, 27, 23), utc(2026, 11, 28, 23), "d:2026-11-28"),
        # Spring forward: 29 March 2026 in Paris lasts 23 hours.
        ("daily", "Europe/Paris", utc(2026, 3, 29, 12), utc(2026, 3, 28, 23), utc(2026, 3, 29, 22), "d:2026-03-29"),
        # Fall back: 25 October 2026 lasts 25 hours.
        ("daily", "Europe/Paris", utc(2026, 10, 25, 12), utc(2026, 10, 24, 22), utc(2026, 10, 25, 23), "d:2026-10-25"),
        # New York across its DST change (8 March 2026).
        ("daily", "America/New_York", utc(2026, 3, 8, 12), utc(2026, 3, 8, 5), utc(2026, 3, 9, 4), "d:2026-03-08"),
        # Weeks are ISO weeks, Monday to Monday, local.
        ("weekly", "UTC", utc(2026, 11, 29, 23, 59), utc(2026, 11, 23), utc(2026, 11, 30), "w:2026-W48"),
        ("weekly", "Asia/Tokyo", utc(2026, 11, 29, 15, 0), utc(2026, 11, 29, 15), utc(2026, 12, 6, 15), "w:2026-W49"),
        # ISO week 53 of 2026 runs into January 2027.
        ("weekly", "UTC", utc(2027, 1, 2), utc(2026, 12, 28), utc(2027, 1, 4), "w:2026-W53"),
        # Months: local first of month; the year rolls over.
        ("monthly", "UTC", utc(2026, 12, 31, 23, 59), utc(2026, 12, 1), utc(2027, 1, 1), "m:2026-12"),
        ("monthly", "America/Los_Angeles", utc(2026, 12, 1, 5), utc(2026, 11, 1, 7), utc(2026, 12, 1, 8), "m:2026-11"),
        # Kolkata is UTC+5:30: boundaries are not on UTC hours.
        ("daily", "Asia/Kolkata", utc(2026, 6, 1, 18, 29), utc(2026, 5, 31, 18, 30), utc(2026, 6, 1, 18, 30), "d:2026-06-01"),
    ],
)  # fmt: skip
def test_window_contains_now_and_has_local_boundaries(
    period: str, tz: str, now: datetime, start: datetime, end: datetime, key: str
) -> None:
    window = window_at(period, tz, now)  # type: ignore[arg-type]
    assert (window.start, window.end, window.key) == (start, end, key)
    assert window.contains(now)


def test_a_day_where_midnight_does_not_exist_starts_at_its_first_instant() -> None:
    # Santiago moved clocks from 00:00 to 01:00 on 6 September 2026.
    window = window_at("daily", "America/Santiago", utc(2026, 9, 6, 12))
    assert window.start == utc(2026, 9, 6, 4)
    assert window.end - window.start == timedelta(hours=23)


@pytest.mark.parametrize("period", ["daily", "weekly", "monthly"])
@pytest.mark.parametrize("tz", ["Europe/Paris", "America/New_York", "Australia/Lord_Howe"])
def test_consecutive_windows_tile_time_across_a_year(period: str, tz: str) -> None:
    window = window_at(period, tz, utc(2026, 1, 1, 12))  # type: ignore[arg-type]
    keys = {window.key}
    while window.end < utc(2027, 1, 1):
        following = window_at(period, tz, window.end)  # type: ignore[arg-type]
        assert following.start == window.end  # no gap, no overlap
        assert following.key not in keys
        keys.add(following.key)
        earlier = window_at(period, tz, window.end - timedelta(microseconds=1))  # type: ignore[arg-type]
        assert earlier == window
        window = following


def test_custom_period_is_its_fixed_range() -> None:
    start, end = datetime(2026, 11, 1, tzinfo=PARIS), datetime(2026, 11, 15, tzinfo=PARIS)
    window = window_at("custom", "UTC", utc(2026, 12, 1), custom_start=start, custom_end=end)
    assert (window.start, window.end) == (utc(2026, 10, 31, 23), utc(2026, 11, 14, 23))
    assert not window.contains(utc(2026, 12, 1))
    assert window.key == "c:20261031T230000Z-20261114T230000Z"


def test_custom_period_needs_an_ordered_range_and_clocks_must_be_aware() -> None:
    with pytest.raises(ValueError, match="custom period"):
        window_at(
            "custom",
            "UTC",
            utc(2026, 1, 1),
            custom_start=utc(2026, 2, 1),
            custom_end=utc(2026, 1, 1),
        )
    with pytest.raises(ValueError, match="timezone-aware"):
        window_at("daily", "UTC", datetime(2026, 1, 1))
