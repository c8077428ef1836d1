"""Store functions for the agents registry (always scoped by org id): every agent read."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from control_plane.store.calls import dialect_insert
from control_plane.store.labels import labels_by_id
from control_plane.store.pagination import Page
from control_plane.store.rows import (
    OrgTable,
    delete_row,
    find_row,
    list_page,
    update_row,
    where_given,
)
from control_plane.store.tables import Agent

AGENTS = OrgTable(Agent)
create_agent = AGENTS.create
get_agent = AGENTS.get
update_agent, delete_agent = update_row, delete_row


@dataclass(frozen=True, slots=True)
class AgentRef:
    """What ingest needs of an agent named in a record."""

    id: uuid.UUID
    team_id: uuid.UUID | None


@dataclass(frozen=True)
class AgentFilters:
    team_id: uuid.UUID | None = None
    status: str | None = None
    provider: str | None = None
    environment: str | None = None
    name_prefix: str | None = None


async def get_agent_by_name(session: AsyncSession, org_id: uuid.UUID, name: str) -> Agent | None:
    return await find_row(session, Agent, Agent.org_id == org_id, Agent.name == name)


async def list_agents(
    session: AsyncSession,
    org_id: uuid.UUID,
    filters: AgentFilters,
    *,
    cursor: str | None = None,
    limit: int = 50,
) -> Page[Agent]:
    stmt = where_given(
        select(Agent).where(Agent.org_id == org_id),
        (Agent.team_id, filters.team_id),
        (Agent.status, filters.status),
        (Agent.provider, filters.provider),
        (Agent.environment, filters.environment),
    )
    if filters.name_prefix is not None:
        stmt = stmt.where(Agent.name.startswith(filters.name_prefix, autoescape=True))
    return await list_page(session, stmt, Agent.id, cursor, limit)


async def find_agents(
    session: AsyncSession,
    org_id: uuid.UUID,
    *,
    team_id: uuid.UUID | None = None,
    environment: str | None = None,
) -> Sequence[Agent]:
    """The org's agents (in one team, one environment), by name."""
    stmt = where_given(
        select(Agent).where(Agent.org_id == org_id).order_by(Agent.name),
        (Agent.team_id, team_id),
        (Agent.environment, environment),
    )
    return (await session.execute(stmt)).scalars().all()


async def list_agent_names(session: AsyncSession, org_id: uuid.UUID) -> list[str]:
    stmt = select(Agent.name).where(Agent.org_id == org_id)
    return list((await session.execute(stmt)).scalars().all())


async def get_agent_names(
    session: AsyncSession, org_id: uuid.UUID, agent_ids: set[uuid.UUID]
) -> dict[uuid.UUID, str]:
    return await labels_by_id(session, Agent.name, Agent.id, Agent.org_id, org_id, agent_ids)


async def get_agent_refs(
    session: AsyncSession, org_id: uuid.UUID, names: set[str]
) -> dict[str, AgentRef]:
    if not names:
        return {}
    stmt = select(Agent.name, Agent.id, Agent.team_id).where(
        Agent.org_id == org_id, Agent.name.in_(names)
    )
    return {row.name: AgentRef(row.id, row.team_id) for row in await session.execute(stmt)}


async def insert_agents_if_absent(session: AsyncSession, rows: list[dict[str, Any]]) -> None:
    """Insert registry rows; a name a concurrent transaction registered first is left alone."""
    stmt = dialect_insert(session, Agent.__table__).on_conflict_do_nothing(  # type: ignore[arg-type]
        index_elements=["org_id", "name"]
    )
    await session.execute(stmt, rows)
