"""Store functions for teams (always scoped by org id)."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from control_plane.store.labels import labels_by_id
from control_plane.store.pagination import Page
from control_plane.store.rows import (
    add_row,
    delete_row,
    find_row,
    get_org_row,
    list_org_page,
    update_row,
)
from control_plane.store.tables import Team

update_team = update_row
delete_team = delete_row


async def create_team(
    session: AsyncSession, *, org_id: uuid.UUID, name: str, description: str | None
) -> Team:
    return await add_row(session, Team(org_id=org_id, name=name, description=description))


async def get_team(session: AsyncSession, org_id: uuid.UUID, team_id: uuid.UUID) -> Team | None:
    return await get_org_row(session, Team, org_id, team_id)


async def get_team_by_name(session: AsyncSession, org_id: uuid.UUID, name: str) -> Team | None:
    return await find_row(session, Team, Team.org_id == org_id, Team.name == name)


async def get_team_names(
    session: AsyncSession, org_id: uuid.UUID, team_ids: set[uuid.UUID]
) -> dict[uuid.UUID, str]:
    return await labels_by_id(session, Team.name, Team.id, Team.org_id, org_id, team_ids)


async def list_teams(
    session: AsyncSession, org_id: uuid.UUID, *, cursor: str | None = None, limit: int = 50
) -> Page[Team]:
    return await list_org_page(session, Team, org_id, cursor, limit)


async def list_team_names(session: AsyncSession, org_id: uuid.UUID) -> list[str]:
    stmt = select(Team.name).where(Team.org_id == org_id)
    return list((await session.execute(stmt)).scalars().all())
