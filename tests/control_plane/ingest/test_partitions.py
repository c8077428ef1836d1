"""Partitions are created ahead of their month, idempotently; SQLite has none to create."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import text

from control_plane.ingest.partitions import ensure_partitions_ahead
from control_plane.store.engine import Database
from control_plane.store.migrate import record_retention

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
    from control_plane.ingest.partitions import drop_expired_partitions, retention_cutoff

    now = datetime.now(UTC)
    start = retention_cutoff(now, 4)  # partitions for the 4 whole months before this one, on
    await ensure_partitions_ahead(db, start)
    record_retention(db.engine.url.render_as_string(hide_password=False), 2)
    # Keep two whole months before this one: they and this month stay, older months go.
    dropped = await drop_expired_partitions(db, 2)
    if not db.is_postgres:
        assert dropped == 0  # the embedded store keeps everything
        return
    kept = [retention_cutoff(now, n) for n in (2, 1, 0)]
    async with db.engine.connect() as conn:
        names = await conn.execute(text(
            "SELECT relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname = 'agentops_partitions' AND c.relkind = 'r' AND relname LIKE 'calls_%' "
            "AND relname <= :last ORDER BY 1"
        ), {"last": f"calls_{kept[-1]:%Y_%m}"})  # fmt: skip
        assert [r[0] for r in names] == [f"calls_{month:%Y_%m}" for month in kept]
    assert dropped >= 4  # calls and events for the two older months (and any before them)
    assert await drop_expired_partitions(db, 2) == 0
