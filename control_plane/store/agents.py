"""Store functions for the agents registry (always scoped by org id)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from control_plane.store.pagination import Page, make_page, page_query
from control_plane.store.tables import Agent


@dataclass(frozen=True)
class AgentFilters:
    team_id: uuid.UUID | None = None
    status: str | None = None
    provider: str | None = None
    environment: str | None = None
    name_prefix: str | None = None


async def create_agent(session: AsyncSession, *, org_id: uuid.UUID, **fields: Any) -> Agent:
    agent = Agent(org_id=org_id, **fields)
    session.add(agent)
    await session.flush()
    return agent


async def get_agent(session: AsyncSession, org_id: uuid.UUID, agent_id: uuid.UUID) -> Agent | None:
    stmt = select(Agent).where(Agent.org_id == org_id, Agent.id == agent_id)
    return (await session.execute(stmt)).scalar_one_or_none()


async def get_agent_by_name(session: AsyncSession, org_id: uuid.UUID, name: str) -> Agent | None:
    stmt = select(Agent).where(Agent.org_id == org_id, Agent.name == name)
    return (await session.execute(stmt)).scalar_one_or_none()


async def list_agents(
    session: AsyncSession,
    org_id: uuid.UUID,
    filters: AgentFilters,
    *,
    cursor: str | None = None,
    limit: int = 50,
) -> Page[Agent]:
    stmt = select(Agent).where(Agent.org_id == org_id)
    if filters.team_id is not None:
        stmt = stmt.where(Agent.team_id == filters.team_id)
    if filters.status is not None:
        stmt = stmt.where(Agent.status == filters.status)
    if filters.provider is not None:
        stmt = stmt.where(Agent.provider == filters.provider)
    if filters.environment is not None:
        stmt = stmt.where(Agent.environment == filters.environment)
    if filters.name_prefix is not None:
        stmt = stmt.where(Agent.name.startswith(filters.name_prefix, autoescape=True))
    rows = (await session.execute(page_query(stmt, Agent.id, cursor, limit))).scalars().all()
    return make_page(rows, limit, lambda agent: agent.id)


async def update_agent(session: AsyncSession, agent: Agent, changes: dict[str, Any]) -> Agent:
    for field, value in changes.items():
        setattr(agent, field, value)
    await session.flush()
    return agent


async def delete_agent(session: AsyncSession, agent: Agent) -> None:
    await session.delete(agent)
    await session.flush()
