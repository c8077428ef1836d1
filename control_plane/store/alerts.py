"""Store functions for notification channels and alert deliveries (scoped by org id)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from datetime import datetime

from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from control_plane.store.pagination import Page
from control_plane.store.rows import (
    OrgTable,
    delete_row,
    list_page,
    list_rows,
    update_row,
    where_given,
)
from control_plane.store.tables import AlertDelivery, NotificationChannel

CHANNELS = OrgTable(NotificationChannel)
create_channel = CHANNELS.create
get_channel = CHANNELS.get
list_channels = CHANNELS.page
update_channel, delete_channel = update_row, delete_row

DELIVERIES = OrgTable(AlertDelivery)
create_delivery = DELIVERIES.create
get_delivery = DELIVERIES.get


async def list_enabled_channels(
    session: AsyncSession, org_id: uuid.UUID
) -> Sequence[NotificationChannel]:
    match = (NotificationChannel.org_id == org_id, NotificationChannel.enabled.is_(True))
    return await list_rows(session, NotificationChannel, *match, order_by=[NotificationChannel.id])


async def list_deliveries(
    session: AsyncSession,
    org_id: uuid.UUID,
    *,
    status: str | None = None,
    channel_id: uuid.UUID | None = None,
    cursor: str | None = None,
    limit: int = 50,
) -> Page[AlertDelivery]:
    stmt = where_given(
        select(AlertDelivery).where(AlertDelivery.org_id == org_id),
        (AlertDelivery.status, status),
        (AlertDelivery.channel_id, channel_id),
    )
    return await list_page(session, stmt, AlertDelivery.id, cursor, limit)


async def claim_due_deliveries(
    session: AsyncSession, org_id: uuid.UUID, now: datetime, limit: int = 50
) -> Sequence[AlertDelivery]:
    """Pending deliveries whose time has come, locked so that two workers never send the same
    one (rows another worker holds are skipped, not waited for)."""
    stmt = (
        select(AlertDelivery)
        .where(
            AlertDelivery.org_id == org_id,
            AlertDelivery.status == "pending",
            AlertDelivery.next_attempt_at <= now,
        )
        .order_by(AlertDelivery.next_attempt_at, AlertDelivery.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    return (await session.execute(stmt)).scalars().all()


async def org_ids_with_due_deliveries(session: AsyncSession, now: datetime) -> list[uuid.UUID]:
    """Cross-org (worker), through a SECURITY DEFINER lookup on PostgreSQL (see migration 0004)."""
    if session.get_bind().dialect.name == "postgresql":
        stmt = select(func.agentops_orgs_with_due_deliveries(now))
    else:
        stmt = (
            select(AlertDelivery.org_id)
            .where(AlertDelivery.status == "pending", AlertDelivery.next_attempt_at <= now)
            .distinct()
        )
    return [row[0] for row in await session.execute(stmt)]


@asynccontextmanager
async def every_orgs_channels(session: AsyncSession) -> AsyncIterator[list[NotificationChannel]]:
    """Every org's webhook and Slack channels, for maintenance as the owning role (``agentops
    migrate``). Row-level security is forced on the table, so it is lifted for the block only
    (DDL is transactional on PostgreSQL); changes are flushed before it is restored."""
    stmt = select(NotificationChannel).where(NotificationChannel.kind != "email")
    postgres = session.get_bind().dialect.name == "postgresql"
    if postgres:
        await session.execute(text("ALTER TABLE notification_channels NO FORCE ROW LEVEL SECURITY"))
    yield list((await session.execute(stmt)).scalars().all())
    await session.flush()
    if postgres:
        await session.execute(text("ALTER TABLE notification_channels FORCE ROW LEVEL SECURITY"))


async def delivery_queued(
    session: AsyncSession, org_id: uuid.UUID, event_type: str, key: str
) -> bool:
    """Whether a delivery of ``event_type`` with this dedupe key was already queued (the
    unique index on org, type, key and channel serves the lookup)."""
    found = await session.execute(
        select(AlertDelivery.id)
        .where(AlertDelivery.org_id == org_id, AlertDelivery.event_type == event_type)
        .where(AlertDelivery.dedupe_key == key)
        .limit(1)
    )
    return found.first() is not None
