"""/agents: the registry (create, list with filters, show, update, delete)."""

from __future__ import annotations

from agentops.wire.control import ControlSnapshot
from control_plane import app_keys
from control_plane.api._names import NothingNamed, id_named
from control_plane.endpoint import ApiRequest
from control_plane.schemas.agents import AgentCreate, AgentOut, AgentPage, AgentQuery, AgentUpdate
from control_plane.services import agents as rules
from control_plane.services import control_state
from control_plane.services.audit import snapshot
from control_plane.store import agents, teams
from control_plane.store.agents import AgentFilters
from control_plane.store.types import AsyncSession

FIELDS = rules.AUDITED_FIELDS


async def create_agent(req: ApiRequest) -> AgentOut:
    async with req.transaction() as session:
        agent = await rules.create(session, req.principal, req.body_as(AgentCreate))
        await req.audit(session, "agent.create", "agent", agent.id, after=snapshot(agent, FIELDS))
        out = (await rules.to_out(session, req.principal.org_id, [agent]))[0]
        state = await _state_changed(req, session)
    await control_state.publish(req.app_get(app_keys.STATE_BUS), state)
    return out


async def list_agents(req: ApiRequest) -> AgentPage:
    query = req.query_as(AgentQuery)
    org_id = req.principal.org_id
    async with req.transaction() as session:
        try:
            team_id = await id_named(teams.get_team_by_name, session, org_id, query.team)
        except NothingNamed:
            return AgentPage(items=[], next_cursor=None)
        filters = AgentFilters(
            team_id=team_id,
            status=query.status,
            provider=query.provider,
            environment=query.environment,
            name_prefix=query.name_prefix,
        )
        page = await agents.list_agents(
            session, org_id, filters, cursor=query.cursor, limit=query.limit
        )
        items = await rules.to_out(session, org_id, page.items)
    return AgentPage(items=items, next_cursor=page.next_cursor)


async def get_agent(req: ApiRequest) -> AgentOut:
    async with req.transaction() as session:
        agent = await rules.get(session, req.principal.org_id, req.path_id("agent_id"))
        return (await rules.to_out(session, req.principal.org_id, [agent]))[0]


async def update_agent(req: ApiRequest) -> AgentOut:
    async with req.transaction() as session:
        agent = await rules.get(session, req.principal.org_id, req.path_id("agent_id"))
        before = snapshot(agent, FIELDS)
        await rules.update(session, req.principal, agent, req.body_as(AgentUpdate))
        await req.audit(
            session, "agent.update", "agent", agent.id, before=before, after=snapshot(agent, FIELDS)
        )
        out = (await rules.to_out(session, req.principal.org_id, [agent]))[0]
        state = await _state_changed(req, session)
    # The registry (status, team, tags, environment) is part of every proxy's snapshot: a
    # paused agent must be refused by every proxy, not only after the next republish.
    await control_state.publish(req.app_get(app_keys.STATE_BUS), state)
    return out


async def delete_agent(req: ApiRequest) -> None:
    async with req.transaction() as session:
        agent = await rules.get(session, req.principal.org_id, req.path_id("agent_id"))
        rules.check_team_scope(req.principal, agent.team_id)
        before = snapshot(agent, FIELDS)
        await agents.delete_agent(session, agent)
        await req.audit(session, "agent.delete", "agent", agent.id, before=before)
        state = await _state_changed(req, session)
    await control_state.publish(req.app_get(app_keys.STATE_BUS), state)


async def _state_changed(req: ApiRequest, session: AsyncSession) -> ControlSnapshot:
    """Bump the org's control-state version in this transaction; publish after commit."""
    bus = req.app_get(app_keys.STATE_BUS)
    return await control_state.changed(session, req.principal.org_id, bus.budgets)
