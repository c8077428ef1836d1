"""Budget period windows in the org's time zone.

A window is ``[start, end)`` in UTC, computed from local calendar boundaries: a daily budget
in Europe/Paris resets at Paris midnight, whatever the offset that day. Local midnights are
built with ``zoneinfo``, so a 23- or 25-hour day around a DST change is simply a shorter or
longer window, and consecutive windows tile time with no gap or overlap (each window's end is
computed exactly like the next window's start).

The window's ``key`` names the period in counters, alert events and the control snapshot; it
is stable for the whole window and differs between windows of the same budget.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

Period = Literal["daily", "weekly", "monthly", "custom"]
PERIODS: tuple[Period, ...] = ("daily", "weekly", "monthly", "custom")


@dataclass(frozen=True)
class Window:
    start: datetime  # UTC, inclusive
    end: datetime  # UTC, exclusive
    key: str

    def contains(self, instant: datetime) -> bool:
        return self.start <= instant < self.end


def window_at(
    period: Period,
    tz: str,
    now: datetime,
    *,
    custom_start: datetime | None = None,
    custom_end: datetime | None = None,
) -> Window:
    """The window of ``period`` containing ``now`` (aware). A custom period is its one fixed
    range, whether or not ``now`` falls inside it."""
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    if period == "custom":
        if custom_start is None or custom_end is None or custom_end <= custom_start:
            raise ValueError("a custom period needs a start before its end")
        start, end = custom_start.astimezone(UTC), custom_end.astimezone(UTC)
        return Window(start, end, f"c:{start:%Y%m%dT%H%M%SZ}-{end:%Y%m%dT%H%M%SZ}")
    zone = ZoneInfo(tz)
    today = now.astimezone(zone).date()
    first, after, key = _calendar_span(period, today)
    return Window(_local_midnight(first, zone), _local_midnight(after, zone), key)


def _calendar_span(period: Period, today: date) -> tuple[date, date, str]:
    if period == "daily":
        return today, today + timedelta(days=1), f"d:{today.isoformat()}"
    if period == "weekly":  # ISO weeks: Monday to Monday
        monday = today - timedelta(days=today.weekday())
        year, week, _ = monday.isocalendar()
        return monday, monday + timedelta(days=7), f"w:{year}-W{week:02d}"
    first = today.replace(day=1)
    after = (first + timedelta(days=32)).replace(day=1)
    return first, after, f"m:{first:%Y-%m}"


def _local_midnight(day: date, zone: ZoneInfo) -> datetime:
    # Where midnight does not exist (DST starting at 00:00), fold=0 resolves it to the first
    # instant of the local day, which is what "the day starts" means there.
    return datetime.combine(day, time(0), tzinfo=zone).astimezone(UTC)
