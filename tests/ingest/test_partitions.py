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
