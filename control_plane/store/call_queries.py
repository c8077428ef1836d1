"""Reads of the calls fact table for the per-call API: filtered keyset pages and one call.

Pages are newest first by ``(started_at, call_id)``, the table's primary key, so a page is an
index range scan per monthly partition and a cursor never skips or repeats a call.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from control_plane.store.labels import labels_by_id
from control_plane.store.pagination import Keyset, Page
from control_plane.store.rows import where_given
from control_plane.store.runs import RunFilters, where_filters
from control_plane.store.tables import Call, Run

_NEWEST_FIRST = Keyset("calls", Call.started_at, Call.call_id, datetime.fromisoformat)


@dataclass(frozen=True)
class CallFilters(RunFilters):
    """The run filters, and the run itself and whether the call is priced."""

    run_pk: uuid.UUID | None = None
    priced: bool | None = None


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
    stmt = where_given(
        where_filters(select(Call), Call, org_id, f, tags=Call.record["tags"]),
        (Call.run_pk, f.run_pk),
        (Call.model, f.model),
        (Call.provider, f.provider),
    )
    if f.priced is not None:
        stmt = stmt.where(Call.cost_usd.is_not(None) if f.priced else Call.cost_usd.is_(None))
    return await _NEWEST_FIRST.page(session, stmt, cursor, limit)


async def get_call(session: AsyncSession, org_id: uuid.UUID, call_id: uuid.UUID) -> Call | None:
    stmt = select(Call).where(Call.org_id == org_id, Call.call_id == call_id).limit(1)
    return (await session.execute(stmt)).scalar_one_or_none()


async def get_run_keys(
    session: AsyncSession, org_id: uuid.UUID, run_pks: set[uuid.UUID]
) -> dict[uuid.UUID, str]:
    """The run id each run's records carried, by run pk."""
    return await labels_by_id(session, Run.run_key, Run.id, Run.org_id, org_id, run_pks)
