"""Rollup reads over any range equal the sum over the calls in it, exactly, whether the range
is served by hourly rows, daily rows or both (both engines)."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from control_plane.ingest.batch import IngestTarget, ingest_records
from control_plane.store.engine import Database
from control_plane.store.rollups import RollupScope, sum_rollups
from tests.harness.records import T0, record
from tests.harness.store_org import Org

# 3 calls every 5 hours over 4 days, with costs that do not add up in binary floating point.
STARTS = [T0 - timedelta(hours=5 * i, minutes=m) for i in range(20) for m in (0, 7, 31)]
COSTS = [Decimal("0.1") + Decimal(i) / Decimal(10**9) for i in range(len(STARTS))]


@pytest.fixture
async def history(db: Database, org: Org) -> None:
    batch = [
        record(started_at=s, cost=str(c), model="m1" if i % 2 else "m2")
        for i, (s, c) in enumerate(zip(STARTS, COSTS, strict=True))
    ]
    async with db.transaction(org.id) as session:
        await ingest_records(session, IngestTarget(org.id, org.slug), batch)


@pytest.mark.parametrize(
    ("back", "length"),
    [(timedelta(hours=3), timedelta(hours=2)), (timedelta(days=3, hours=5), timedelta(days=2)),
     (timedelta(days=4), timedelta(days=4)), (timedelta(hours=30), timedelta(hours=29))],
)  # fmt: skip
@pytest.mark.usefixtures("history")
async def test_any_range_sums_exactly_what_its_calls_cost(
    db: Database, org: Org, back: timedelta, length: timedelta
) -> None:
    start, end = T0 - back, T0 - back + length
    hour = start.replace(minute=0)
    expected = [c for s, c in zip(STARTS, COSTS, strict=True) if hour <= s.replace(minute=0) < end]
    async with db.transaction(org.id) as session:
        for group in ("org", "model", "day", "hour"):
            groups = await sum_rollups(session, org.id, RollupScope(hour, end), group)
            assert sum(g["calls"] for _, g in groups) == len(expected), group
            assert sum((g["cost_usd"] for _, g in groups), Decimal(0)) == sum(expected, Decimal(0))


@pytest.mark.parametrize("tz", ["UTC", "Europe/Paris", "America/Los_Angeles", "Asia/Tokyo"])
@pytest.mark.usefixtures("history")
async def test_days_are_calendar_days_of_the_timezone_asked_for(
    db: Database, org: Org, tz: str
) -> None:
    start, end = (T0 - timedelta(days=4)).replace(minute=0), T0 + timedelta(hours=1)
    zone = ZoneInfo(tz)
    expected: dict[str, Decimal] = {}
    for s, c in zip(STARTS, COSTS, strict=True):
        day = f"{s.replace(minute=0).astimezone(zone):%Y-%m-%d}"  # the local day its hour starts in
        expected[day] = expected.get(day, Decimal(0)) + c
    async with db.transaction(org.id) as session:
        days = await sum_rollups(session, org.id, RollupScope(start, end, tz=tz), "day")
    assert {day: sums["cost_usd"] for day, sums in days} == expected


def test_a_record_stamped_in_another_time_zone_lands_in_its_utc_hour() -> None:
    from datetime import UTC, datetime, timedelta, timezone

    from control_plane.ingest.rows import hour_of

    india = timezone(timedelta(hours=5, minutes=30))
    at = datetime(2026, 11, 27, 10, 45, tzinfo=india)  # 05:15 UTC
    assert hour_of(at) == datetime(2026, 11, 27, 5, 0, tzinfo=UTC)
