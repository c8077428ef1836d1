"""Store functions for teams (always scoped by org id)."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from control_plane.store.labels import labels_by_id
from control_plane.store.rows import OrgTable, delete_row, find_row, update_row
from control_plane.store.tables import Team

TEAMS = OrgTable(Team)
create_team = TEAMS.create
get_team = TEAMS.get
list_teams = TEAMS.page
update_team, delete_team = update_row, delete_row


async def get_team_by_name(session: AsyncSession, org_id: uuid.UUID, name: str) -> Team | None:
    return await find_row(session, Team, Team.org_id == org_id, Team.name == name)


async def get_team_names(
    session: AsyncSession, org_id: uuid.UUID, team_ids: set[uuid.UUID]
) -> dict[uuid.UUID, str]:
    return await labels_by_id(session, Team.name, Team.id, Team.org_id, org_id, team_ids)


async def list_team_names(session: AsyncSession, org_id: uuid.UUID) -> list[str]:
    stmt = select(Team.name).where(Team.org_id == org_id)
    return list((await session.execute(stmt)).scalars().all())
