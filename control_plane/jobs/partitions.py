"""Monthly partitions of ``calls`` and ``events`` (PostgreSQL): created ahead, dropped after
retention (``control_plane.ingest.partitions`` has the why)."""

from __future__ import annotations

from control_plane.ingest.partitions import drop_expired_partitions, ensure_partitions_ahead
from control_plane.jobs.context import JobContext


async def ensure_partitions(ctx: JobContext) -> None:
    await ensure_partitions_ahead(ctx.database)


async def drop_expired(ctx: JobContext) -> None:
    months = ctx.settings.control_plane.retention_months
    if months is not None:
        await drop_expired_partitions(ctx.database, months)
