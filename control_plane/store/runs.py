"""Store functions for runs: additive upsert of aggregates, filtered and paginated reads."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Select, String, Table, case, cast, exists, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from control_plane.store.calls import bulk_params, bulk_statement
from control_plane.store.pagination import Keyset, Page
from control_plane.store.rows import list_rows, where_given, where_within
from control_plane.store.tables import Call, Run
from control_plane.store.types import Span

RUNS: Table = Run.__table__  # type: ignore[assignment]
ADDED = ("calls", "in_progress", "errors", "input_tokens", "output_tokens", "cost_usd",
         "unpriced_calls")  # fmt: skip


async def add_runs(session: AsyncSession, rows: Sequence[dict[str, Any]]) -> None:
    """Create runs or add this batch's deltas to them, recomputing the status."""
    if not rows:
        return
    postgres = session.get_bind().dialect.name == "postgresql"
    stmt = bulk_statement(session, "runs.add", RUNS, _add_deltas_pg if postgres else _add_deltas)
    await session.execute(stmt, bulk_params(session, sorted(rows, key=lambda r: str(r["id"]))))


def _add_deltas_pg(insert: Any) -> Any:
    return _add_deltas(insert, func.least, func.greatest)


def _add_deltas(insert: Any, least: Any = func.min, greatest: Any = func.max) -> Any:
    ex, c = insert.excluded, RUNS.c
    in_progress = c.in_progress + ex.in_progress
    status = case((in_progress > 0, "running"), (c.errors + ex.errors > 0, "error"), else_="ok")
    set_: dict[str, Any] = {name: c[name] + ex[name] for name in ADDED}
    set_ |= {
        "status": status,
        "started_at": least(c.started_at, ex.started_at),
        "last_at": greatest(c.last_at, ex.last_at),
    }
    return insert.on_conflict_do_update(index_elements=["id"], set_=set_)


_NEWEST_FIRST = Keyset("started_at", Run.started_at, Run.id, datetime.fromisoformat)
_COSTLIEST_FIRST = Keyset("cost", Run.cost_usd, Run.id, Decimal)


@dataclass(frozen=True)
class RunFilters(Span):
    status: str | None = None
    model: str | None = None
    provider: str | None = None
    min_cost: Decimal | None = None
    max_cost: Decimal | None = None
    tag: str | None = None


async def list_runs(
    session: AsyncSession,
    org_id: uuid.UUID,
    filters: RunFilters,
    *,
    sort: str = "started_at",
    cursor: str | None = None,
    limit: int = 50,
) -> Page[Run]:
    """Runs started in the range, newest (or costliest) first, keyset-paginated."""
    f = filters
    stmt = where_filters(select(Run), Run, org_id, f, tags=Run.tags)
    if f.model is not None or f.provider is not None:
        calls = select(Call.call_id).where(Call.org_id == org_id, Call.run_pk == Run.id)
        if f.model is not None:
            calls = calls.where(Call.model == f.model)
        if f.provider is not None:
            calls = calls.where(Call.provider == f.provider)
        stmt = stmt.where(exists(calls))
    order = _COSTLIEST_FIRST if sort == "cost" else _NEWEST_FIRST
    return await order.page(session, stmt, cursor, limit)


def where_filters[S: Select[*tuple[Any, ...]]](
    stmt: S, table: type[Run] | type[Call], org_id: uuid.UUID, f: RunFilters, tags: Any
) -> S:
    """``stmt`` narrowed by what the run and call filters share: the org's rows started in the
    range, of the agent, team and status given, within the cost bounds, with the tag (in
    ``tags``, a JSON column)."""
    stmt = where_given(
        where_within(stmt.where(table.org_id == org_id), table.started_at, f.start, f.end),
        (table.agent_id, f.agent_id),
        (table.team_id, f.team_id),
        (table.status, f.status),
    )
    if f.min_cost is not None:
        stmt = stmt.where(table.cost_usd >= f.min_cost)
    if f.max_cost is not None:
        stmt = stmt.where(table.cost_usd <= f.max_cost)
    if f.tag is not None:
        stmt = stmt.where(cast(tags, String).icontains(f.tag, autoescape=True))
    return stmt


async def get_run(session: AsyncSession, org_id: uuid.UUID, ref: str) -> Run | None:
    """A run by its id, or by the run id its records carried."""
    clause = Run.run_key == ref
    with contextlib.suppress(ValueError):  # not a UUID: only the run key can match
        clause = or_(clause, Run.id == uuid.UUID(ref))
    stmt = select(Run).where(Run.org_id == org_id, clause).limit(1)
    return (await session.execute(stmt)).scalar_one_or_none()


async def list_recent_runs(
    session: AsyncSession, org_id: uuid.UUID, agent_id: uuid.UUID, limit: int = 5
) -> list[Run]:
    match = (Run.org_id == org_id, Run.agent_id == agent_id)
    return await list_rows(session, Run, *match, order_by=[Run.started_at.desc()], limit=limit)


async def get_run_cost(session: AsyncSession, run_pk: uuid.UUID) -> Decimal | None:
    cost: Decimal | None = (
        await session.execute(select(Run.cost_usd).where(Run.id == run_pk))
    ).scalar()
    return cost
