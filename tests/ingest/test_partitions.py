"""Partitions are created ahead of their month, idempotently; SQLite has none to create."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import text

from control_plane.ingest.partitions import ensure_partitions_ahead
from control_plane.store.engine import Database

FAR = datetime(2031, 5, 17, tzinfo=UTC)


async def test_partitions_are_created_ahead_once(db: Database) -> None:
    created = await ensure_partitions_ahead(db, FAR)
    if not db.is_postgres:
        assert created == 0
        return
    assert created == 8  # calls and events, for May to August 2031
    assert await ensure_partitions_ahead(db, FAR) == 0
    async with db.engine.connect() as conn:
        names = await conn.execute(text(
            "SELECT relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname = 'agentops_partitions' AND c.relkind = 'r' AND relname LIKE 'calls_2031%' "
            "ORDER BY 1"
        ))  # fmt: skip
        assert [r[0] for r in names] == [f"calls_2031_0{m}" for m in (5, 6, 7, 8)]


def test_the_retention_cutoff_is_the_start_of_a_whole_month() -> None:
    from control_plane.ingest.partitions import retention_cutoff

    now = datetime(2026, 3, 15, 12, 30, tzinfo=UTC)
    assert retention_cutoff(now, 1) == datetime(2026, 2, 1, tzinfo=UTC)
    assert retention_cutoff(now, 3) == datetime(2025, 12, 1, tzinfo=UTC)


async def test_retention_drops_only_months_wholly_before_the_cutoff(db: Database) -> None:
    from control_plane.ingest.partitions import drop_expired_partitions

    await ensure_partitions_ahead(db, datetime(2030, 1, 1, tzinfo=UTC))  # Jan to Apr 2030
    # Keep two whole months before May 2030: March and April stay, January and February go.
    dropped = await drop_expired_partitions(db, 2, now=datetime(2030, 5, 20, tzinfo=UTC))
    if not db.is_postgres:
        assert dropped == 0  # the embedded store keeps everything
        return
    async with db.engine.connect() as conn:
        names = await conn.execute(text(
            "SELECT relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname = 'agentops_partitions' AND c.relkind = 'r' AND relname LIKE 'calls_2030%' "
            "ORDER BY 1"
        ))  # fmt: skip
        assert [r[0] for r in names] == ["calls_2030_03", "calls_2030_04"]
    assert dropped >= 4  # calls and events for January and February 2030 (and older months)
    assert await drop_expired_partitions(db, 2, now=datetime(2030, 5, 20, tzinfo=UTC)) == 0
