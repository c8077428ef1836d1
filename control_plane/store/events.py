"""Store functions for the run timeline."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Table
from sqlalchemy.ext.asyncio import AsyncSession

from control_plane.store.calls import bulk_params, bulk_statement
from control_plane.store.rows import list_rows
from control_plane.store.tables import Event

EVENTS: Table = Event.__table__  # type: ignore[assignment]


async def insert_events(session: AsyncSession, rows: Sequence[dict[str, Any]]) -> None:
    """Insert events; an event id seen before is skipped (SDK events carry derived ids)."""
    if rows:
        stmt = bulk_statement(session, "events.insert", EVENTS, _insert_new)
        await session.execute(stmt, bulk_params(session, rows))


def _insert_new(insert: Any) -> Any:
    return insert.on_conflict_do_nothing(index_elements=["id", "at"])


async def list_events(
    session: AsyncSession, org_id: uuid.UUID, run_pk: uuid.UUID, *, limit: int = 1000
) -> list[Event]:
    """The run's timeline in order (time, then id: UUIDv7 ids keep insertion order)."""
    match = (Event.org_id == org_id, Event.run_pk == run_pk)
    return await list_rows(session, Event, *match, order_by=(Event.at, Event.id), limit=limit)
