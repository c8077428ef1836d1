"""Store functions for emergency rules and the per-org control-state version."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TypedDict, Unpack

from sqlalchemy import select, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from control_plane.store.rows import add_row, find_row, list_rows
from control_plane.store.tables import ControlRule, ControlState, utcnow


@dataclass(frozen=True)
class OrgVersion:
    org_id: uuid.UUID
    org_slug: str
    version: int


class RuleFields(TypedDict):
    """What create_rule is given besides the org (every key required)."""

    scope: str
    target: str
    action: str
    reason: str
    reference: str
    created_by: str | None
    created_by_label: str | None


async def create_rule(
    session: AsyncSession, *, org_id: uuid.UUID, **fields: Unpack[RuleFields]
) -> ControlRule:
    return await add_row(session, ControlRule(org_id=org_id, **fields))


async def list_rules_in_force(session: AsyncSession, org_id: uuid.UUID) -> Sequence[ControlRule]:
    match = (ControlRule.org_id == org_id, ControlRule.lifted_at.is_(None))
    order = (ControlRule.created_at, ControlRule.id)
    return await list_rows(session, ControlRule, *match, order_by=order)


async def get_rule_in_force(
    session: AsyncSession, org_id: uuid.UUID, scope: str, target: str
) -> ControlRule | None:
    match = (ControlRule.org_id == org_id, ControlRule.scope == scope, ControlRule.target == target)
    return await find_row(session, ControlRule, *match, ControlRule.lifted_at.is_(None))


async def lift_rule(
    session: AsyncSession, rule: ControlRule, *, lifted_by: str | None, at: datetime | None = None
) -> ControlRule:
    rule.lifted_at = at or utcnow()
    rule.lifted_by = lifted_by
    await session.flush()
    return rule


async def increment_version(session: AsyncSession, org_id: uuid.UUID) -> int:
    """Bump the org's control-state version and return it. The row lock this takes serialises
    concurrent changes to one org, so version order is commit order."""
    now = utcnow()
    values = {"org_id": org_id, "version": 1, "updated_at": now}
    bumped = {"version": ControlState.version + 1, "updated_at": now}
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    stmt = (
        insert(ControlState)
        .values(**values)
        .on_conflict_do_update(index_elements=[ControlState.org_id], set_=bumped)
        .returning(ControlState.version)
    )
    return int((await session.execute(stmt)).scalar_one())


async def get_version(session: AsyncSession, org_id: uuid.UUID) -> int:
    """The org's current version; 0 when nothing was ever changed (the empty state)."""
    stmt = select(ControlState.version).where(ControlState.org_id == org_id)
    return int((await session.execute(stmt)).scalar_one_or_none() or 0)


async def list_versions(session: AsyncSession) -> list[OrgVersion]:
    """Every org's current version, across orgs (the worker's republish job). On PostgreSQL a
    narrow SECURITY DEFINER function answers it, since row-level security hides other orgs."""
    if session.get_bind().dialect.name == "postgresql":
        rows = await session.execute(
            text("SELECT org_id, org_slug, version FROM agentops_control_state_versions()")
        )
    else:
        rows = await session.execute(
            text(
                "SELECT s.org_id, o.slug, s.version FROM control_state s "
                "JOIN organizations o ON o.id = s.org_id"
            )
        )
    return [OrgVersion(_uuid(row[0]), str(row[1]), int(row[2])) for row in rows]


def _uuid(value: object) -> uuid.UUID:
    return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))
