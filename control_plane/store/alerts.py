"""Store functions for notification channels and alert deliveries (scoped by org id)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from control_plane.store.pagination import Page, make_page, page_query
from control_plane.store.tables import AlertDelivery, NotificationChannel


async def create_channel(
    session: AsyncSession, *, org_id: uuid.UUID, **fields: Any
) -> NotificationChannel:
    channel = NotificationChannel(org_id=org_id, **fields)
    session.add(channel)
    await session.flush()
    return channel


async def get_channel(
    session: AsyncSession, org_id: uuid.UUID, channel_id: uuid.UUID
) -> NotificationChannel | None:
    stmt = select(NotificationChannel).where(
        NotificationChannel.org_id == org_id, NotificationChannel.id == channel_id
    )
    return (await session.execute(stmt)).scalar_one_or_none()


async def list_channels(
    session: AsyncSession, org_id: uuid.UUID, *, cursor: str | None = None, limit: int = 50
) -> Page[NotificationChannel]:
    base = select(NotificationChannel).where(NotificationChannel.org_id == org_id)
    stmt = page_query(base, NotificationChannel.id, cursor, limit)
    rows = (await session.execute(stmt)).scalars().all()
    return make_page(rows, limit, lambda channel: channel.id)


async def list_enabled_channels(
    session: AsyncSession, org_id: uuid.UUID
) -> Sequence[NotificationChannel]:
    stmt = (
        select(NotificationChannel)
        .where(NotificationChannel.org_id == org_id, NotificationChannel.enabled.is_(True))
        .order_by(NotificationChannel.id)
    )
    return (await session.execute(stmt)).scalars().all()


async def update_channel(
    session: AsyncSession, channel: NotificationChannel, changes: dict[str, Any]
) -> NotificationChannel:
    for field, value in changes.items():
        setattr(channel, field, value)
    await session.flush()
    return channel


async def delete_channel(session: AsyncSession, channel: NotificationChannel) -> None:
    await session.delete(channel)
    await session.flush()


async def create_delivery(
    session: AsyncSession, *, org_id: uuid.UUID, **fields: Any
) -> AlertDelivery:
    delivery = AlertDelivery(org_id=org_id, **fields)
    session.add(delivery)
    await session.flush()
    return delivery


async def get_delivery(
    session: AsyncSession, org_id: uuid.UUID, delivery_id: uuid.UUID
) -> AlertDelivery | None:
    stmt = select(AlertDelivery).where(
        AlertDelivery.org_id == org_id, AlertDelivery.id == delivery_id
    )
    return (await session.execute(stmt)).scalar_one_or_none()


async def list_deliveries(
    session: AsyncSession,
    org_id: uuid.UUID,
    *,
    status: str | None = None,
    channel_id: uuid.UUID | None = None,
    cursor: str | None = None,
    limit: int = 50,
) -> Page[AlertDelivery]:
    stmt = select(AlertDelivery).where(AlertDelivery.org_id == org_id)
    if status is not None:
        stmt = stmt.where(AlertDelivery.status == status)
    if channel_id is not None:
        stmt = stmt.where(AlertDelivery.channel_id == channel_id)
    rows = (await session.execute(page_query(stmt, AlertDelivery.id, cursor, limit))).scalars()
    return make_page(rows.all(), limit, lambda delivery: delivery.id)


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
