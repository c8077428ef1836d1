"""Store functions for the calls fact table: idempotent insert, supersede, read.

Idempotency is the database's job: ``INSERT … ON CONFLICT (org_id, call_id, started_at) DO
NOTHING`` returns only the rows it inserted, so two concurrent deliveries of a batch store it once. A
final record supersedes an ``in_progress`` one with an ``UPDATE … WHERE status =
'in_progress'``, which only one of two racing transactions can win.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

import orjson
from sqlalchemy import Table, Text, and_, bindparam, cast, column, func, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.ext.asyncio import AsyncSession

from control_plane.store.open_calls import CLOSED_OPEN, INTERRUPTED, OPEN_OR_CLOSED
from control_plane.store.rows import list_rows
from control_plane.store.tables import Call

IN_PROGRESS = "in_progress"
CALLS: Table = Call.__table__  # type: ignore[assignment]


def dialect_insert(session: AsyncSession, table: Table) -> Any:
    """The INSERT construct with ON CONFLICT support for the session's engine."""
    if session.get_bind().dialect.name == "postgresql":
        return postgresql.insert(table)
    return sqlite.insert(table)


BulkStatement = Callable[[Any], Any]  # the dialect's bulk INSERT -> the statement to run

_STATEMENTS: dict[tuple[str, str], Any] = {}


def bulk_statement(session: AsyncSession, name: str, table: Table, finish: BulkStatement) -> Any:
    """The bulk INSERT of ``table`` completed by ``finish`` (ON CONFLICT…, RETURNING…), built once
    per dialect under ``name``. Statements are immutable, and building one per batch was a
    fifth of the ingest CPU: ``excluded`` alone proxies every column of a wide table.

    PostgreSQL gets ``INSERT … SELECT … FROM jsonb_to_recordset(:rows)``: the whole batch is
    ONE parameter, a JSON document expanded server-side. A multi-row VALUES list of 500 rows x
    38 columns costs more to build and parse client-side than the database spends storing it.
    SQLite gets a plain executemany (``bulk_params``)."""
    dialect = session.get_bind().dialect.name
    stmt = _STATEMENTS.get((dialect, name))
    if stmt is None:
        stmt = _STATEMENTS[(dialect, name)] = finish(_bulk_insert(dialect, table))
    return stmt


def _bulk_insert(dialect: str, table: Table) -> Any:
    if dialect != "postgresql":
        return sqlite.insert(table)
    source = (
        func.jsonb_to_recordset(cast(bindparam("rows", type_=Text()), JSONB()))
        .table_valued(*(column(c.name, c.type) for c in table.columns))
        .render_derived(name="r", with_types=True)
    )
    names = [c.name for c in table.columns]
    return postgresql.insert(table).from_select(names, select(*(source.c[n] for n in names)))


def bulk_params(session: AsyncSession, rows: Sequence[dict[str, Any]]) -> Any:
    """The parameters of a ``bulk_statement`` for these rows."""
    if session.get_bind().dialect.name != "postgresql":
        return list(rows)
    return {"rows": dumps_rows(rows)}


def dumps_rows(rows: Sequence[dict[str, Any]]) -> str:
    # orjson encodes UUIDs and datetimes natively (ISO 8601, which PostgreSQL reads back); the
    # standard encoder's per-value ``default`` calls made this dump ~10% of the ingest CPU.
    return orjson.dumps(rows, default=_money).decode()


def _money(value: Any) -> str:
    if isinstance(value, Decimal):
        return str(value)
    raise TypeError(f"cannot store {type(value).__name__} in a JSON row: {value!r}")


async def insert_calls(session: AsyncSession, rows: Sequence[dict[str, Any]]) -> set[uuid.UUID]:
    """Insert the rows not stored yet; returns the call ids actually inserted."""
    if not rows:
        return set()
    stmt = bulk_statement(session, "calls.insert", CALLS, _insert_new)
    result = await session.execute(stmt, bulk_params(session, rows))
    return set(result.scalars().all())


def _insert_new(insert: Any) -> Any:
    # Scoped by org: another org's call with the same id is a different call (issue 13).
    keys = ["org_id", "call_id", "started_at"]
    return insert.on_conflict_do_nothing(index_elements=keys).returning(CALLS.c.call_id)


async def find_in_progress(
    session: AsyncSession, org_id: uuid.UUID, keys: Sequence[tuple[uuid.UUID, datetime]]
) -> dict[uuid.UUID, bool]:
    """Of these (call_id, started_at) keys, the calls a final record may still replace: those
    stored as in_progress (False) or closed by the open-call timeout (True: reopened)."""
    if not keys:
        return {}
    wanted = dict(keys)
    stmt = select(Call.call_id, Call.started_at, Call.status).where(
        Call.org_id == org_id, Call.call_id.in_(list(wanted)), OPEN_OR_CLOSED
    )
    return {
        row.call_id: row.status != IN_PROGRESS
        for row in await session.execute(stmt)
        if wanted[row.call_id] == row.started_at
    }


async def supersede_call(session: AsyncSession, row: dict[str, Any]) -> bool:
    """Replace an open call with its final record; False if someone else already did."""
    changes = {k: v for k, v in row.items() if k not in ("org_id", "call_id", "started_at")}
    stmt = (
        update(CALLS)
        .where(
            CALLS.c.org_id == row["org_id"],
            CALLS.c.call_id == row["call_id"],
            CALLS.c.started_at == row["started_at"],
            or_(
                CALLS.c.status == IN_PROGRESS,
                and_(CALLS.c.status == INTERRUPTED, CALLS.c.error_type == CLOSED_OPEN),
            ),
        )
        .values(**changes)
        .returning(CALLS.c.call_id)
    )
    return (await session.execute(stmt)).first() is not None


async def list_calls_for_run(
    session: AsyncSession, org_id: uuid.UUID, run_pk: uuid.UUID, *, limit: int = 1000
) -> list[Call]:
    match = (Call.org_id == org_id, Call.run_pk == run_pk)
    order = (Call.started_at, Call.call_id)
    return await list_rows(session, Call, *match, order_by=order, limit=limit)


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
