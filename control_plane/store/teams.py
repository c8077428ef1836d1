"""Store functions for teams (always scoped by org id)."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from control_plane.store.labels import labels_by_id
from control_plane.store.pagination import Page, make_page, page_query
from control_plane.store.tables import Team


async def create_team(
    session: AsyncSession, *, org_id: uuid.UUID, name: str, description: str | None
) -> Team:
    team = Team(org_id=org_id, name=name, description=description)
    session.add(team)
    await session.flush()
    return team


async def get_team(session: AsyncSession, org_id: uuid.UUID, team_id: uuid.UUID) -> Team | None:
    stmt = select(Team).where(Team.org_id == org_id, Team.id == team_id)
    return (await session.execute(stmt)).scalar_one_or_none()


async def get_team_by_name(session: AsyncSession, org_id: uuid.UUID, name: str) -> Team | None:
    stmt = select(Team).where(Team.org_id == org_id, Team.name == name)
    return (await session.execute(stmt)).scalar_one_or_none()


async def get_team_names(
    session: AsyncSession, org_id: uuid.UUID, team_ids: set[uuid.UUID]
) -> dict[uuid.UUID, str]:
    return await labels_by_id(session, Team.name, Team.id, Team.org_id, org_id, team_ids)


async def list_teams(
    session: AsyncSession, org_id: uuid.UUID, *, cursor: str | None = None, limit: int = 50
) -> Page[Team]:
    stmt = page_query(select(Team).where(Team.org_id == org_id), Team.id, cursor, limit)
    rows = (await session.execute(stmt)).scalars().all()
    return make_page(rows, limit, lambda team: team.id)


async def update_team(session: AsyncSession, team: Team, changes: dict[str, Any]) -> Team:
    for field, value in changes.items():
        setattr(team, field, value)
    await session.flush()
    return team


async def delete_team(session: AsyncSession, team: Team) -> None:
    await session.delete(team)
    await session.flush()


async def list_team_names(session: AsyncSession, org_id: uuid.UUID) -> list[str]:
    stmt = select(Team.name).where(Team.org_id == org_id)
    return list((await session.execute(stmt)).scalars().all())
