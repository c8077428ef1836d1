"""Store functions for the append-only audit log (there is deliberately no update/delete)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from control_plane.store.pagination import Page, make_page, page_query
from control_plane.store.tables import AuditLog


@dataclass(frozen=True)
class AuditFilters:
    action: str | None = None
    entity_type: str | None = None
    entity_id: str | None = None
    actor_id: str | None = None
    since: datetime | None = None
    until: datetime | None = None


async def create_audit_log(
    session: AsyncSession,
    *,
    org_id: uuid.UUID,
    actor_type: str,
    actor_id: str | None,
    actor_label: str | None,
    action: str,
    entity_type: str,
    entity_id: str | None,
    before: dict[str, Any] | None,
    after: dict[str, Any] | None,
    request_id: str | None,
) -> AuditLog:
    entry = AuditLog(
        org_id=org_id,
        actor_type=actor_type,
        actor_id=actor_id,
        actor_label=actor_label,
        action=action,
        entity_type=entity_type,
        entity_id=entity_id,
        before=before,
        after=after,
        request_id=request_id,
    )
    session.add(entry)
    await session.flush()
    return entry


async def list_audit_logs(
    session: AsyncSession,
    org_id: uuid.UUID,
    filters: AuditFilters,
    *,
    cursor: str | None = None,
    limit: int = 50,
) -> Page[AuditLog]:
    stmt = select(AuditLog).where(AuditLog.org_id == org_id)
    if filters.action is not None:
        stmt = stmt.where(AuditLog.action == filters.action)
    if filters.entity_type is not None:
        stmt = stmt.where(AuditLog.entity_type == filters.entity_type)
    if filters.entity_id is not None:
        stmt = stmt.where(AuditLog.entity_id == filters.entity_id)
    if filters.actor_id is not None:
        stmt = stmt.where(AuditLog.actor_id == filters.actor_id)
    if filters.since is not None:
        stmt = stmt.where(AuditLog.created_at >= filters.since)
    if filters.until is not None:
        stmt = stmt.where(AuditLog.created_at < filters.until)
    rows = (await session.execute(page_query(stmt, AuditLog.id, cursor, limit))).scalars().all()
    return make_page(rows, limit, lambda entry: entry.id)
