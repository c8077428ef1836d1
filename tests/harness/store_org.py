"""An org written straight to a migrated store (both engines) with a team and an agent: the
``db`` and ``org`` fixtures of tests/control_plane/store and tests/control_plane/ingest."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest

from control_plane.store import agents, orgs, teams
from control_plane.store.engine import Database, create_database


@dataclass
class Org:
    id: uuid.UUID
    slug: str
    agent_id: uuid.UUID
    team_id: uuid.UUID


@pytest.fixture
async def db(store_url: str) -> AsyncIterator[Database]:
    database = create_database(store_url, app_role="agentops_app")
    try:
        yield database
    finally:
        await database.dispose()


async def make_org(db: Database, slug: str) -> Org:
    org_id = uuid.uuid4()
    async with db.transaction(org_id) as session:
        await orgs.create_org(session, org_id=org_id, slug=slug, name=slug, timezone="UTC")
        team = await teams.create_team(session, org_id=org_id, name="research", description=None)
        agent = await agents.create_agent(
            session, org_id=org_id, name="bot", team_id=team.id, tags={}, config={}
        )
    return Org(org_id, slug, agent.id, team.id)


@pytest.fixture
async def org(db: Database) -> Org:
    return await make_org(db, "acme")


# The real app on PostgreSQL, signed-up owners and API keys: the control-plane fixtures.
from tests.control_plane.conftest import client, cp_settings, running_url, signup  # noqa: E402, F401
from tests.fakeprovider.fixtures import fake_provider  # noqa: E402, F401
