"""Store functions for the calls fact table: idempotent insert, supersede, read.

Idempotency is the database's job: ``INSERT … ON CONFLICT (call_id, started_at) DO NOTHING``
returns only the rows it inserted, so two concurrent deliveries of a batch store it once. A
final record supersedes an ``in_progress`` one with an ``UPDATE … WHERE status =
'in_progress'``, which only one of two racing transactions can win.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Table, Text, bindparam, cast, column, func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.ext.asyncio import AsyncSession

from control_plane.store.tables import Call

IN_PROGRESS = "in_progress"
CALLS: Table = Call.__table__  # type: ignore[assignment]


def dialect_insert(session: AsyncSession, table: Table) -> Any:
    """The INSERT construct with ON CONFLICT support for the session's engine."""
    if session.get_bind().dialect.name == "postgresql":
        return postgresql.insert(table)
    return sqlite.insert(table)


def bulk_insert(
    session: AsyncSession, table: Table, rows: Sequence[dict[str, Any]]
) -> tuple[Any, Any]:
    """An INSERT of many rows (ON CONFLICT-capable) and the parameters to execute it with.

    PostgreSQL gets ``INSERT … SELECT … FROM jsonb_to_recordset(:rows)``: the whole batch is
    ONE parameter, a JSON document from a C-speed ``json.dumps``, expanded server-side. A
    multi-row VALUES list of 500 rows x 38 columns costs more to build and parse client-side
    than the database spends storing it. SQLite gets a plain executemany.
    """
    if session.get_bind().dialect.name != "postgresql":
        return sqlite.insert(table), list(rows)
    source = (
        func.jsonb_to_recordset(cast(bindparam("rows", type_=Text()), JSONB()))
        .table_valued(*(column(c.name, c.type) for c in table.columns))
        .render_derived(name="r", with_types=True)
    )
    names = [c.name for c in table.columns]
    stmt = postgresql.insert(table).from_select(names, select(*(source.c[n] for n in names)))
    return stmt, {"rows": json.dumps(rows, default=str, separators=(",", ":"))}


async def insert_calls(session: AsyncSession, rows: Sequence[dict[str, Any]]) -> set[uuid.UUID]:
    """Insert the rows not stored yet; returns the call ids actually inserted."""
    if not rows:
        return set()
    stmt, params = bulk_insert(session, CALLS, rows)
    stmt = stmt.on_conflict_do_nothing(index_elements=["call_id", "started_at"]).returning(
        CALLS.c.call_id
    )
    result = await session.execute(stmt, params)
    return set(result.scalars().all())


async def find_in_progress(
    session: AsyncSession, org_id: uuid.UUID, keys: Sequence[tuple[uuid.UUID, datetime]]
) -> set[uuid.UUID]:
    """Of these (call_id, started_at) keys, the calls currently stored as in_progress."""
    if not keys:
        return set()
    wanted = dict(keys)
    stmt = select(Call.call_id, Call.started_at).where(
        Call.org_id == org_id, Call.call_id.in_(list(wanted)), Call.status == IN_PROGRESS
    )
    return {
        row.call_id for row in await session.execute(stmt) if wanted[row.call_id] == row.started_at
    }


async def supersede_call(session: AsyncSession, row: dict[str, Any]) -> bool:
    """Replace an in_progress call with its final record; False if someone else already did."""
    changes = {k: v for k, v in row.items() if k not in ("call_id", "started_at")}
    stmt = (
        update(CALLS)
        .where(
            CALLS.c.call_id == row["call_id"],
            CALLS.c.started_at == row["started_at"],
            CALLS.c.status == IN_PROGRESS,
        )
        .values(**changes)
        .returning(CALLS.c.call_id)
    )
    return (await session.execute(stmt)).first() is not None


async def list_calls_for_run(
    session: AsyncSession, org_id: uuid.UUID, run_pk: uuid.UUID, *, limit: int = 1000
) -> list[Call]:
    stmt = (
        select(Call)
        .where(Call.org_id == org_id, Call.run_pk == run_pk)
        .order_by(Call.started_at, Call.call_id)
        .limit(limit)
    )
    return list((await session.execute(stmt)).scalars().all())


async def drop_partitions_before(session: AsyncSession, cutoff: datetime) -> int:
    """Retention: drop the monthly partitions of calls and events whose whole month is before
    ``cutoff`` (PostgreSQL; the embedded SQLite store keeps everything). Returns how many."""
    if session.get_bind().dialect.name != "postgresql":
        return 0
    result = await session.execute(select(func.agentops_drop_partitions_before(cutoff)))
    return int(result.scalar_one())


async def ensure_partitions(session: AsyncSession, start: datetime, end: datetime) -> int:
    """Create the monthly partitions of calls and events covering [start, end) (PostgreSQL;
    a no-op elsewhere). Returns how many partitions were created."""
    if session.get_bind().dialect.name != "postgresql":
        return 0
    result = await session.execute(select(func.agentops_ensure_partitions(start, end)))
    return int(result.scalar_one())
