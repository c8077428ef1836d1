"""/teams: CRUD."""

from __future__ import annotations

import uuid

from control_plane.endpoint import ApiRequest
from control_plane.errors import ConflictError, found
from control_plane.schemas.teams import TeamCreate, TeamOut, TeamPage, TeamUpdate
from control_plane.services.audit import snapshot
from control_plane.store import teams
from control_plane.store.errors import IntegrityError
from control_plane.store.tables import Team
from control_plane.store.types import AsyncSession

FIELDS = ("name", "description")


async def create_team(req: ApiRequest) -> TeamOut:
    body = req.body_as(TeamCreate)
    async with req.transaction() as session:
        try:
            team = await teams.create_team(
                session, org_id=req.principal.org_id, name=body.name, description=body.description
            )
        except IntegrityError:
            raise _taken(body.name) from None
        await req.audit(session, "team.create", "team", team.id, after=snapshot(team, FIELDS))
        return TeamOut.model_validate(team)


async def list_teams(req: ApiRequest) -> TeamPage:
    async with req.transaction() as session:
        page = await req.page_of(session, teams.list_teams)
    return TeamPage(
        items=[TeamOut.model_validate(t) for t in page.items], next_cursor=page.next_cursor
    )


async def get_team(req: ApiRequest) -> TeamOut:
    async with req.transaction() as session:
        return TeamOut.model_validate(
            await _get(session, req.principal.org_id, req.path_id("team_id"))
        )


async def update_team(req: ApiRequest) -> TeamOut:
    changes = req.body_as(TeamUpdate).model_dump(exclude_unset=True)
    if changes.get("name", "") is None:
        changes.pop("name")
    async with req.transaction() as session:
        team = await _get(session, req.principal.org_id, req.path_id("team_id"))
        before = snapshot(team, FIELDS)
        try:
            await teams.update_team(session, team, changes)
        except IntegrityError:
            raise _taken(str(changes.get("name"))) from None
        await req.audit(
            session, "team.update", "team", team.id, before=before, after=snapshot(team, FIELDS)
        )
        return TeamOut.model_validate(team)


async def delete_team(req: ApiRequest) -> None:
    async with req.transaction() as session:
        team = await _get(session, req.principal.org_id, req.path_id("team_id"))
        before = snapshot(team, FIELDS)
        await teams.delete_team(session, team)
        await req.audit(session, "team.delete", "team", team.id, before=before)


async def _get(session: AsyncSession, org_id: uuid.UUID, team_id: uuid.UUID) -> Team:
    team = found(await teams.get_team(session, org_id, team_id), f"no such team: {team_id}")
    return team


def _taken(name: str) -> ConflictError:
    return ConflictError(f"a team named {name!r} already exists in this org", code="name_taken")
