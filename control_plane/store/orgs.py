"""Store functions for organizations (the session is passed in; nothing here commits)."""

from __future__ import annotations

import uuid

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from control_plane.store.rows import add_row, find_row, update_row
from control_plane.store.tables import Organization

update_org = update_row


async def create_org(
    session: AsyncSession, *, org_id: uuid.UUID, slug: str, name: str, timezone: str
) -> Organization:
    return await add_row(session, Organization(id=org_id, slug=slug, name=name, timezone=timezone))


async def get_org_timezone(session: AsyncSession, org_id: uuid.UUID) -> str:
    """The org's timezone (IANA name): its budget periods and its calendar days."""
    stmt = select(Organization.timezone).where(Organization.id == org_id)
    return (await session.execute(stmt)).scalar_one()


async def get_org(session: AsyncSession, org_id: uuid.UUID) -> Organization | None:
    return await find_row(session, Organization, Organization.id == org_id)


async def find_org_id_by_slug(session: AsyncSession, slug: str) -> uuid.UUID | None:
    """Usable before any org scope is set: on PostgreSQL, row-level security hides
    organizations, so this asks the narrow SECURITY DEFINER lookup instead."""
    if session.get_bind().dialect.name == "postgresql":
        found = (await session.execute(select(func.agentops_org_id_by_slug(slug)))).scalar()
    else:
        found = (
            await session.execute(select(Organization.id).where(Organization.slug == slug))
        ).scalar()
    return None if found is None else uuid.UUID(str(found))
