"""PostgreSQL row-level security backs up the store's org scoping for the application role."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import func, select, text, update
from sqlalchemy.exc import DBAPIError, ProgrammingError

from control_plane.store import agents, orgs
from control_plane.store.engine import Database, create_database
from control_plane.store.tables import Agent, AuditLog, Organization


@pytest.fixture
async def db(pg_url: str) -> AsyncIterator[Database]:
    database = create_database(pg_url, app_role="agentops_app")
    yield database
    await database.dispose()


async def _org_with_agent(db: Database, slug: str) -> tuple[uuid.UUID, uuid.UUID]:
    org_id = uuid.uuid4()
    async with db.transaction(org_id) as session:
        await orgs.create_org(session, org_id=org_id, slug=slug, name=slug, timezone="UTC")
        agent = await agents.create_agent(
            session, org_id=org_id, name=f"{slug}-bot", tags={}, config={}
        )
    return org_id, agent.id


async def _plant_agent(db: Database, *, scope: uuid.UUID, target: uuid.UUID) -> None:
    async with db.transaction(scope) as session:
        session.add(Agent(org_id=target, name="planted", tags={}, config={}))
        await session.flush()


async def test_the_application_role_is_subject_to_rls(db: Database) -> None:
    async with db.transaction() as session:
        role = (await session.execute(text("SELECT current_user"))).scalar_one()
        flags = (
            await session.execute(
                text("SELECT rolsuper, rolbypassrls FROM pg_roles WHERE rolname = current_user")
            )
        ).one()
    assert role == "agentops_app"
    assert tuple(flags) == (False, False)


async def test_without_an_org_setting_no_rows_are_visible(db: Database) -> None:
    await _org_with_agent(db, "acme")
    async with db.transaction() as session:
        assert (await session.execute(select(func.count()).select_from(Agent))).scalar_one() == 0
        assert (
            await session.execute(select(func.count()).select_from(Organization))
        ).scalar_one() == 0


async def test_an_org_cannot_read_or_write_another_orgs_rows(db: Database) -> None:
    org_a, _ = await _org_with_agent(db, "org-a")
    org_b, agent_b = await _org_with_agent(db, "org-b")
    async with db.transaction(org_a) as session:
        # Raw SQL without the store's org filter: RLS alone hides org B.
        names = (await session.execute(select(Agent.name))).scalars().all()
        assert names == ["org-a-bot"]
        result = await session.execute(
            update(Agent).where(Agent.id == agent_b).values(status="killed")
        )
        assert result.rowcount == 0  # type: ignore[attr-defined]
    with pytest.raises(ProgrammingError, match="row-level security"):
        await _plant_agent(db, scope=org_a, target=org_b)
    async with db.transaction(org_b) as session:
        agent = await agents.get_agent(session, org_b, agent_b)
        assert agent is not None
        assert agent.status == "active"


async def test_the_empty_org_setting_left_on_a_pooled_connection_matches_nothing(
    db: Database,
) -> None:
    org_a, _ = await _org_with_agent(db, "org-a")
    async with db.engine.connect() as conn:
        await conn.execute(text("SET ROLE agentops_app"))
        await conn.execute(select(func.set_config("app.current_org", str(org_a), True)))
        await conn.commit()
        # After the transaction the setting exists but is '' (not NULL): must not raise.
        count = (await conn.execute(select(func.count()).select_from(Agent))).scalar_one()
        assert count == 0
        await conn.rollback()
        await conn.execute(text("RESET ROLE"))


async def test_audit_log_is_append_only_for_the_application(db: Database) -> None:
    org_a, _ = await _org_with_agent(db, "org-a")
    async with db.transaction(org_a) as session:
        session.add(AuditLog(org_id=org_a, actor_type="system", action="x", entity_type="y"))
    for statement in ("UPDATE audit_logs SET action = 'forged'", "DELETE FROM audit_logs"):
        with pytest.raises(DBAPIError, match="permission denied"):
            async with db.transaction(org_a) as session:
                await session.execute(text(statement))
