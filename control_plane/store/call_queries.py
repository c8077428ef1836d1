"""Reads of the calls fact table for the per-call API: filtered keyset pages and one call.

Pages are newest first by ``(started_at, call_id)``, the table's primary key, so a page is an
index range scan per monthly partition and a cursor never skips or repeats a call.
"""

from __future__ import annotations

import base64
import binascii
import json
import uuid
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlalchemy import String, and_, cast, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from control_plane.store.labels import labels_by_id
from control_plane.store.pagination import InvalidCursorError, Page
from control_plane.store.tables import Call, Run


@dataclass(frozen=True)
class CallFilters:
    start: datetime
    end: datetime
    agent_id: uuid.UUID | None = None
    team_id: uuid.UUID | None = None
    run_pk: uuid.UUID | None = None
    status: str | None = None
    model: str | None = None
    provider: str | None = None
    priced: bool | None = None
    min_cost: Decimal | None = None
    max_cost: Decimal | None = None
    tag: str | None = None


async def list_calls(
    session: AsyncSession,
    org_id: uuid.UUID,
    filters: CallFilters,
    *,
    cursor: str | None = None,
    limit: int = 50,
) -> Page[Call]:
    """Calls started in the range, newest first, keyset-paginated."""
    f = filters
    stmt = select(Call).where(
        Call.org_id == org_id, Call.started_at >= f.start, Call.started_at < f.end
    )
    for column, value in (
        (Call.agent_id, f.agent_id),
        (Call.team_id, f.team_id),
        (Call.run_pk, f.run_pk),
        (Call.status, f.status),
        (Call.model, f.model),
        (Call.provider, f.provider),
    ):
        if value is not None:
            stmt = stmt.where(column == value)
    if f.priced is not None:
        stmt = stmt.where(Call.cost_usd.is_not(None) if f.priced else Call.cost_usd.is_(None))
    if f.min_cost is not None:
        stmt = stmt.where(Call.cost_usd >= f.min_cost)
    if f.max_cost is not None:
        stmt = stmt.where(Call.cost_usd <= f.max_cost)
    if f.tag is not None:
        tags = cast(Call.record["tags"], String)
        stmt = stmt.where(tags.icontains(f.tag, autoescape=True))
    if cursor is not None:
        at, last_id = _decode(cursor)
        stmt = stmt.where(
            or_(Call.started_at < at, and_(Call.started_at == at, Call.call_id < last_id))
        )
    stmt = stmt.order_by(Call.started_at.desc(), Call.call_id.desc()).limit(limit + 1)
    rows = list((await session.execute(stmt)).scalars().all())
    items = rows[:limit]
    return Page(items=items, next_cursor=_encode(items[-1]) if len(rows) > limit else None)


async def get_call(session: AsyncSession, org_id: uuid.UUID, call_id: uuid.UUID) -> Call | None:
    stmt = select(Call).where(Call.org_id == org_id, Call.call_id == call_id).limit(1)
    return (await session.execute(stmt)).scalar_one_or_none()


def _encode(call: Call) -> str:
    raw = json.dumps(["calls", call.started_at.isoformat(), str(call.call_id)]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode(cursor: str) -> tuple[datetime, uuid.UUID]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        kind, at, last_id = json.loads(raw)
        if kind != "calls":
            raise ValueError("not a cursor of the call list")
        return datetime.fromisoformat(at), uuid.UUID(last_id)
    except (ValueError, TypeError, binascii.Error) as exc:
        raise InvalidCursorError("cursor is not valid") from exc


async def get_run_keys(
    session: AsyncSession, org_id: uuid.UUID, run_pks: set[uuid.UUID]
) -> dict[uuid.UUID, str]:
    """The run id each run's records carried, by run pk."""
    return await labels_by_id(session, Run.run_key, Run.id, Run.org_id, org_id, run_pks)
