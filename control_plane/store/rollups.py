"""Store functions for the cost rollups: additive upserts and grouped reads.

The upsert adds each delta to the row of its key (``ON CONFLICT DO UPDATE SET x = x +
excluded.x``), on PostgreSQL and SQLite alike, so concurrent batches compose. A read splits
its range into whole UTC days, served by the daily table, and the partial days at either end,
served by the hourly one; a 30-day dashboard then sums about 24 times fewer rows.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any, Literal
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, Table, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from control_plane.store.calls import bulk_params, bulk_statement
from control_plane.store.orgs import get_org_timezone
from control_plane.store.tables import CostRollup, CostRollupDaily
from control_plane.store.types import Span

HOURLY: Table = CostRollup.__table__  # type: ignore[assignment]
DAILY: Table = CostRollupDaily.__table__  # type: ignore[assignment]
DIMENSIONS = ("org_id", "agent_id", "team_id", "model", "provider")
COUNTERS = tuple(c.name for c in HOURLY.columns if c.name not in {*DIMENSIONS, "hour"})
DAY = timedelta(days=1)
_HOUR_KEY = "%Y-%m-%dT%H:00Z"

Grouping = Literal["org", "team", "agent", "model", "provider", "day", "hour"]


@dataclass(frozen=True)
class RollupScope(Span):
    tz: str | None = None  # "day" groups are calendar days of this timezone; None: the org's


async def add_rollups(session: AsyncSession, hourly: Sequence[dict[str, Any]]) -> None:
    """Add hourly deltas to the hourly rollups and, summed per day, to the daily ones."""
    if not hourly:
        return
    await _upsert(session, HOURLY, "hour", hourly)
    await _upsert(session, DAILY, "day", to_daily(hourly))


def _add_deltas(table: Table, period: str) -> Callable[[Any], Any]:
    def finish(insert: Any) -> Any:
        return insert.on_conflict_do_update(
            index_elements=[period, *DIMENSIONS],
            set_={name: table.c[name] + insert.excluded[name] for name in COUNTERS},
        )

    return finish


def to_daily(hourly: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    days: dict[tuple[Any, ...], dict[str, Any]] = {}
    for row in hourly:
        day = row["hour"].astimezone(UTC).replace(hour=0)
        key = (day, *(row[d] for d in DIMENSIONS))
        into = days.get(key)
        if into is None:
            days[key] = {**{d: row[d] for d in DIMENSIONS}, "day": day,
                         **{c: row[c] for c in COUNTERS}}  # fmt: skip
        else:
            for c in COUNTERS:
                into[c] += row[c]
    return list(days.values())


async def _upsert(
    session: AsyncSession, table: Table, period: str, rows: Sequence[dict[str, Any]]
) -> None:
    key = (period, *DIMENSIONS)
    # Sorted by key: concurrent batches lock rollup rows in the same order (no deadlock).
    ordered = sorted(rows, key=lambda r: tuple(str(r[k]) for k in key))
    stmt = bulk_statement(session, f"rollups.{period}", table, _add_deltas(table, period))
    await session.execute(stmt, bulk_params(session, ordered))


async def sum_rollups(
    session: AsyncSession,
    org_id: uuid.UUID,
    scope: RollupScope,
    group: Grouping,
    *,
    top: int | None = None,
) -> list[tuple[str, dict[str, Any]]]:
    """Counter sums per group over the hours of the scope: ``[(group key, {counter: sum})]``,
    ordered by key, or the ``top`` groups by cost (highest first)."""
    if group == "day" and scope.tz is None:
        scope = replace(scope, tz=await get_org_timezone(session, org_id))
    if group == "day" and scope.tz != "UTC" and not _postgres(session):
        return _ordered(await _local_days(session, org_id, scope), top)
    merged: dict[str, dict[str, Any]] = {}
    for table, period, start, end in _pieces(scope, group):
        for key, sums in await _sum(session, org_id, scope, table, period, start, end, group):
            _add(merged.setdefault(key, dict.fromkeys(COUNTERS, 0)), sums)
    return _ordered(merged, top)


async def _local_days(
    session: AsyncSession, org_id: uuid.UUID, scope: RollupScope
) -> dict[str, dict[str, Any]]:
    """SQLite: calendar days of ``scope.tz`` from the hourly sums, in Python (PostgreSQL groups
    them in SQL, see ``_group_key``)."""
    zone = ZoneInfo(scope.tz or "UTC")
    days: dict[str, dict[str, Any]] = {}
    for key, sums in await sum_rollups(session, org_id, replace(scope, tz="UTC"), "hour"):
        hour = datetime.strptime(key, _HOUR_KEY).replace(tzinfo=UTC)
        _add(days.setdefault(f"{hour.astimezone(zone):%Y-%m-%d}", dict.fromkeys(COUNTERS, 0)), sums)
    return days


def _add(into: dict[str, Any], sums: dict[str, Any]) -> None:
    for name, value in sums.items():
        into[name] += value or 0


def _ordered(
    merged: dict[str, dict[str, Any]], top: int | None
) -> list[tuple[str, dict[str, Any]]]:
    if top is None:
        return sorted(merged.items())
    by_cost = sorted(
        merged.items(), key=lambda kv: (kv[1]["cost_usd"], kv[1]["calls"]), reverse=True
    )
    return by_cost[:top]


def _pieces(scope: RollupScope, group: Grouping) -> list[tuple[Table, str, datetime, datetime]]:
    """[start, end) as hourly head, daily middle and hourly tail (empty pieces left out).

    Days of a timezone other than UTC come from the hourly table alone: the daily table holds
    UTC days. Each UTC hour goes to the local day it starts in, exact for every whole-hour
    offset, DST included (in a half-hour zone the half hour after midnight goes to the day
    before)."""
    start, end = scope.start, scope.end
    first_day = _midnight(start) + (DAY if start != _midnight(start) else timedelta())
    last_day = _midnight(end)
    local_days = group == "day" and scope.tz not in (None, "UTC")
    if group == "hour" or local_days or first_day >= last_day:
        return [(HOURLY, "hour", start, end)]
    pieces = [(DAILY, "day", first_day, last_day)]
    if start < first_day:
        pieces.append((HOURLY, "hour", start, first_day))
    if last_day < end:
        pieces.append((HOURLY, "hour", last_day, end))
    return pieces


def _midnight(at: datetime) -> datetime:
    return at.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)


async def _sum(
    session: AsyncSession,
    org_id: uuid.UUID,
    scope: RollupScope,
    table: Table,
    period: str,
    start: datetime,
    end: datetime,
    group: Grouping,
) -> list[tuple[str, dict[str, Any]]]:
    c = table.c
    key = _group_key(session, table, period, group, scope.tz or "UTC")
    sums = [func.sum(c[name]).label(name) for name in COUNTERS]
    stmt = select(key.label("key"), *sums).where(
        c.org_id == org_id, c[period] >= start, c[period] < end
    )
    if scope.agent_id is not None:
        stmt = stmt.where(c.agent_id == scope.agent_id)
    if scope.team_id is not None:
        stmt = stmt.where(c.team_id == scope.team_id)
    result = await session.execute(stmt.group_by(key))
    return [
        (_key_text(row.key, group), {name: row._mapping[name] for name in COUNTERS})
        for row in result
    ]


def _group_key(
    session: AsyncSession, table: Table, period: str, group: Grouping, tz: str
) -> ColumnElement[Any]:
    c = table.c
    if group in ("hour", "day") and period == "day":
        return c.day
    if group == "hour":
        return c.hour
    if group == "day":
        # date_trunc, not to_char: formatting every row costs more than the sums.
        if _postgres(session):
            return func.date_trunc("day", func.timezone(tz, c.hour))
        return func.substr(c.hour, 1, 10)
    return c[{"org": "org_id", "team": "team_id", "agent": "agent_id"}.get(group, group)]


def _postgres(session: AsyncSession) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def _key_text(key: Any, group: Grouping) -> str:
    if isinstance(key, datetime):
        if group == "hour":
            return key.astimezone(UTC).strftime(_HOUR_KEY)
        return key.strftime("%Y-%m-%d")
    return str(key)
