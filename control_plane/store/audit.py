"""Store functions for the append-only audit log (there is deliberately no update/delete)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypedDict, Unpack

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from control_plane.store.pagination import Page
from control_plane.store.rows import add_row, list_page, where_given, where_within
from control_plane.store.tables import AuditLog


@dataclass(frozen=True)
class AuditFilters:
    action: str | None = None
    entity_type: str | None = None
    entity_id: str | None = None
    actor_id: str | None = None
    since: datetime | None = None
    until: datetime | None = None


class AuditFields(TypedDict):
    """What create_audit_log is given besides the org (every key required)."""

    actor_type: str
    actor_id: str | None
    actor_label: str | None
    action: str
    entity_type: str
    entity_id: str | None
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    request_id: str | None


async def create_audit_log(
    session: AsyncSession, *, org_id: uuid.UUID, **fields: Unpack[AuditFields]
) -> AuditLog:
    return await add_row(session, AuditLog(org_id=org_id, **fields))


async def list_audit_logs(
    session: AsyncSession,
    org_id: uuid.UUID,
    filters: AuditFilters,
    *,
    cursor: str | None = None,
    limit: int = 50,
) -> Page[AuditLog]:
    stmt = where_given(
        select(AuditLog).where(AuditLog.org_id == org_id),
        (AuditLog.action, filters.action),
        (AuditLog.entity_type, filters.entity_type),
        (AuditLog.entity_id, filters.entity_id),
        (AuditLog.actor_id, filters.actor_id),
    )
    stmt = where_within(stmt, AuditLog.created_at, filters.since, filters.until)
    return await list_page(session, stmt, AuditLog.id, cursor, limit)
