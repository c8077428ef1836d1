"""Keep monthly partitions of ``calls`` and ``events`` ahead of time (PostgreSQL).

Rows whose month has no partition land in the default partition, and a month that already
has rows there can no longer get its own partition, so partitions must exist before their
month starts. ``ensure_partitions_ahead`` runs hourly (``control_plane.jobs.partitions``): it
asks for this month and the next ``MONTHS_AHEAD``, which costs one catalogue lookup per month
when they already exist. Retention (``control_plane.retention_months``) drops whole months that
ended before the cutoff through ``agentops_drop_partitions_before``; rollups and runs stay.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from control_plane.store.calls import drop_partitions_before, ensure_partitions
from control_plane.store.engine import Database

MONTHS_AHEAD = 3


async def ensure_partitions_ahead(database: Database, now: datetime | None = None) -> int:
    start = (now or datetime.now(UTC)).replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    async with database.transaction() as session:
        return await ensure_partitions(session, start, start + timedelta(days=31 * MONTHS_AHEAD))


def retention_cutoff(now: datetime, months: int) -> datetime:
    """The start of the month ``months`` whole months before ``now``'s month (UTC)."""
    month = now.astimezone(UTC).year * 12 + now.astimezone(UTC).month - 1 - months
    return datetime(month // 12, month % 12 + 1, 1, tzinfo=UTC)


async def drop_expired_partitions(
    database: Database, months: int, now: datetime | None = None
) -> int:
    cutoff = retention_cutoff(now or datetime.now(UTC), months)
    async with database.transaction() as session:
        return await drop_partitions_before(session, cutoff)
