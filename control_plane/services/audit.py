"""Audit entries: written by the handler's own transaction, so an action and its record
commit or roll back together."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from agentops.logs import request_id_var
from control_plane.auth.principal import Principal
from control_plane.store.audit import create_audit_log
from control_plane.store.types import AsyncSession


def snapshot(row: object, fields: Iterable[str]) -> dict[str, Any]:
    """A JSON-safe copy of ``fields`` of a row, for the before/after of an entry."""
    return {field: _jsonable(getattr(row, field)) for field in fields}


@dataclass(frozen=True)
class AuditEntry:
    """What was done to which entity, with its audited fields before and after."""

    action: str
    entity_type: str
    entity_id: object
    before: dict[str, Any] | None = None
    after: dict[str, Any] | None = None


async def record(session: AsyncSession, actor: Principal, entry: AuditEntry) -> None:
    await create_audit_log(
        session,
        org_id=actor.org_id,
        actor_type=actor.kind,
        actor_id=actor.actor_id,
        actor_label=actor.actor_label,
        action=entry.action,
        entity_type=entry.entity_type,
        entity_id=None if entry.entity_id is None else str(entry.entity_id),
        before=entry.before,
        after=entry.after,
        request_id=request_id_var.get(),
    )


def _jsonable(value: Any) -> Any:
    if isinstance(value, uuid.UUID | Decimal):
        return str(value)
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return [_jsonable(item) for item in value]
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    return value
