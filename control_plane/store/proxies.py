"""Store functions for proxy heartbeats (the state version each proxy holds per org)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from control_plane.store.rows import list_rows
from control_plane.store.tables import ProxyHeartbeat, utcnow


async def record_heartbeat(
    session: AsyncSession,
    org_id: uuid.UUID,
    proxy_id: str,
    version: int,
    *,
    state_age_seconds: float | None = None,
    state_max_age_seconds: float | None = None,
) -> None:
    now = utcnow()
    confirmed = None if state_age_seconds is None else now - timedelta(seconds=state_age_seconds)
    state = {"state_confirmed_at": confirmed, "state_max_age_seconds": state_max_age_seconds}
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    stmt = (
        insert(ProxyHeartbeat)
        .values(
            org_id=org_id,
            proxy_id=proxy_id,
            version=version,
            first_seen_at=now,
            seen_at=now,
            **state,
        )
        .on_conflict_do_update(
            index_elements=[ProxyHeartbeat.org_id, ProxyHeartbeat.proxy_id],
            set_={"version": version, "seen_at": now, **state},
        )
    )
    await session.execute(stmt)


async def list_heartbeats(
    session: AsyncSession, org_id: uuid.UUID, *, seen_since: datetime
) -> Sequence[ProxyHeartbeat]:
    match = (ProxyHeartbeat.org_id == org_id, ProxyHeartbeat.seen_at >= seen_since)
    return await list_rows(session, ProxyHeartbeat, *match, order_by=[ProxyHeartbeat.proxy_id])
