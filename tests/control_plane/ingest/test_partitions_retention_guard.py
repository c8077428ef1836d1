"""Attack (issue 13): the app role called ``agentops_drop_partitions_before('2100-01-01')`` with
no org set and dropped every org's history. The function now refuses any cutoff later than the
retention ``agentops migrate`` recorded, by the database's own clock, and refuses everything
until a retention is recorded; the app role cannot rewrite that retention."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection

from control_plane.ingest.partitions import retention_cutoff
from control_plane.store.engine import create_database
from control_plane.store.migrate import record_retention

NOW = datetime.now(UTC)


@pytest.fixture
async def app_conn(pg_url: str) -> AsyncIterator[AsyncConnection]:
    """A connection acting as agentops_app, with no org set (the attacker's position)."""
    db = create_database(pg_url)
    async with db.engine.connect() as conn:
        await conn.execute(text("SELECT agentops_ensure_partitions(:a, :b)"), {
            "a": retention_cutoff(NOW, 3), "b": retention_cutoff(NOW, -2),
        })  # fmt: skip
        await conn.commit()
        await conn.execute(text("SET ROLE agentops_app"))
        yield conn
    await db.dispose()


async def partitions(conn: AsyncConnection) -> list[str]:
    rows = await conn.execute(text(
        "SELECT relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
        "WHERE n.nspname = 'agentops_partitions' AND c.relkind = 'r' AND relname LIKE 'calls_%' "
        "ORDER BY 1"
    ))  # fmt: skip
    return [r[0] for r in rows]


async def drop(conn: AsyncConnection, cutoff: datetime) -> int:
    try:
        result = await conn.execute(
            text("SELECT agentops_drop_partitions_before(:c)"), {"c": cutoff}
        )
        dropped = int(result.scalar_one())
        await conn.commit()
        return dropped
    finally:
        await conn.rollback()
        await conn.execute(text("SET ROLE agentops_app"))


async def test_the_reported_attack_is_refused_with_no_retention_configured(
    app_conn: AsyncConnection,
) -> None:
    before = await partitions(app_conn)
    with pytest.raises(DBAPIError, match="retention is not configured"):
        await drop(app_conn, datetime(2100, 1, 1, tzinfo=UTC))
    with pytest.raises(DBAPIError, match="retention is not configured"):
        await drop(app_conn, retention_cutoff(NOW, 24))
    assert await partitions(app_conn) == before


async def test_a_cutoff_later_than_the_retention_is_refused(
    app_conn: AsyncConnection, pg_url: str
) -> None:
    record_retention(pg_url, 2)
    before = await partitions(app_conn)
    for cutoff in (datetime(2100, 1, 1, tzinfo=UTC), NOW, retention_cutoff(NOW, 1)):
        with pytest.raises(DBAPIError, match="later than the configured retention"):
            await drop(app_conn, cutoff)
    assert await partitions(app_conn) == before
    assert await drop(app_conn, retention_cutoff(NOW, 2)) >= 2  # exactly what retention allows
    kept = await partitions(app_conn)
    assert kept[0] == f"calls_{retention_cutoff(NOW, 2):%Y_%m}"
    assert f"calls_{NOW:%Y_%m}" in kept


async def test_the_app_role_cannot_rewrite_the_retention(app_conn: AsyncConnection) -> None:
    for statement in (
        "CREATE OR REPLACE FUNCTION public.agentops_retention_months() RETURNS integer "
        "LANGUAGE sql STABLE AS $$ SELECT 0 $$",
        "SELECT public.agentops_retention_months()",
        "DROP FUNCTION public.agentops_retention_months()",
    ):
        with pytest.raises(DBAPIError, match=r"permission denied|must be owner"):
            await app_conn.execute(text(statement))
        await app_conn.rollback()
        await app_conn.execute(text("SET ROLE agentops_app"))


async def test_a_shadowing_function_in_the_callers_schema_is_not_used(
    app_conn: AsyncConnection,
) -> None:
    await app_conn.execute(text(
        "CREATE FUNCTION pg_temp.agentops_retention_months() RETURNS integer "
        "LANGUAGE sql AS $$ SELECT 1 $$"
    ))  # fmt: skip
    with pytest.raises(DBAPIError, match="retention is not configured"):
        await app_conn.execute(
            text("SELECT agentops_drop_partitions_before(:c)"), {"c": retention_cutoff(NOW, 1)}
        )
    await app_conn.rollback()


def test_recording_refuses_a_retention_below_one_month(pg_url: str) -> None:
    with pytest.raises(ValueError, match="at least 1"):
        record_retention(pg_url, 0)
