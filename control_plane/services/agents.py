"""Agent registry rules: team names resolve to teams, and a team_lead touches only its team."""

from __future__ import annotations

import uuid
from typing import Any

from control_plane.auth.principal import Principal
from control_plane.errors import (
    ConflictError,
    ForbiddenError,
    ValidationFailedError,
    found,
)
from control_plane.schemas.agents import AgentCreate, AgentOut, AgentUpdate
from control_plane.schemas.common import from_row
from control_plane.store import agents, teams
from control_plane.store.errors import IntegrityError
from control_plane.store.tables import Agent
from control_plane.store.types import AsyncSession

AUDITED_FIELDS = (
    "name",
    "description",
    "team_id",
    "provider",
    "environment",
    "tags",
    "config",
    "status",
)


async def resolve_team(
    session: AsyncSession, org_id: uuid.UUID, name: str | None
) -> uuid.UUID | None:
    if name is None:
        return None
    team = await teams.get_team_by_name(session, org_id, name)
    if team is None:
        raise ValidationFailedError(
            f"body: team: no team named {name!r}",
            details=[{"field": "team", "location": "body", "message": "unknown team"}],
        )
    return team.id


def check_team_scope(principal: Principal, team_id: uuid.UUID | None) -> None:
    """A team_lead manages the agents of its own team and no others."""
    if principal.role == "team_lead" and (team_id is None or team_id != principal.team_id):
        raise ForbiddenError(
            "a team_lead may only manage agents of its own team", code="outside_team"
        )


async def create(session: AsyncSession, principal: Principal, body: AgentCreate) -> Agent:
    fields = body.model_dump(exclude={"team"})
    fields["team_id"] = await resolve_team(session, principal.org_id, body.team)
    check_team_scope(principal, fields["team_id"])
    try:
        return await agents.create_agent(session, org_id=principal.org_id, **fields)
    except IntegrityError:
        raise _name_taken(body.name) from None


async def get(session: AsyncSession, org_id: uuid.UUID, agent_id: uuid.UUID) -> Agent:
    return found(await agents.get_agent(session, org_id, agent_id), f"no such agent: {agent_id}")


async def update(
    session: AsyncSession, principal: Principal, agent: Agent, body: AgentUpdate
) -> Agent:
    check_team_scope(principal, agent.team_id)
    changes: dict[str, Any] = body.model_dump(exclude_unset=True, exclude={"team"})
    if "team" in body.model_fields_set:
        changes["team_id"] = await resolve_team(session, principal.org_id, body.team)
        check_team_scope(principal, changes["team_id"])
    for required in ("name", "tags", "config", "status"):
        if required in changes and changes[required] is None:
            raise ValidationFailedError(
                f"body: {required}: may not be null",
                details=[{"field": required, "location": "body", "message": "may not be null"}],
            )
    try:
        return await agents.update_agent(session, agent, changes)
    except IntegrityError:
        raise _name_taken(str(changes.get("name"))) from None


async def to_out(session: AsyncSession, org_id: uuid.UUID, rows: list[Agent]) -> list[AgentOut]:
    names = await teams.get_team_names(
        session, org_id, {row.team_id for row in rows if row.team_id is not None}
    )
    return [
        from_row(AgentOut, row, team=names.get(row.team_id) if row.team_id else None)
        for row in rows
    ]


def _name_taken(name: str) -> ConflictError:
    return ConflictError(f"an agent named {name!r} already exists in this org", code="name_taken")
