"""Store functions behave the same on PostgreSQL and on the embedded SQLite."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest

from control_plane.store import agents, api_keys, members, orgs, teams, users
from control_plane.store.agents import AgentFilters
from control_plane.store.engine import Database, create_database
from control_plane.store.pagination import InvalidCursorError, decode_cursor, encode_cursor


@pytest.fixture
async def db(store_url: str) -> AsyncIterator[Database]:
    database = create_database(store_url)
    yield database
    await database.dispose()


async def _org(db: Database, slug: str) -> uuid.UUID:
    org_id = uuid.uuid4()
    async with db.transaction(org_id) as session:
        await orgs.create_org(session, org_id=org_id, slug=slug, name=slug, timezone="UTC")
    return org_id


async def test_queries_are_scoped_by_org(db: Database) -> None:
    org_a, org_b = await _org(db, "a-org"), await _org(db, "b-org")
    async with db.transaction(org_a) as session:
        agent = await agents.create_agent(
            session, org_id=org_a, name="bot", tags={"k": "v"}, config={}
        )
    async with db.transaction(org_b) as session:
        assert await agents.get_agent(session, org_b, agent.id) is None
        page = await agents.list_agents(session, org_b, AgentFilters())
        assert page.items == []
    async with db.transaction(org_a) as session:
        again = await agents.get_agent(session, org_a, agent.id)
        assert again is not None
        assert again.tags == {"k": "v"}
        assert again.created_at.tzinfo is not None


async def test_pagination_walks_every_row_once_in_a_stable_order(db: Database) -> None:
    org = await _org(db, "pager")
    async with db.transaction(org) as session:
        for n in range(7):
            await teams.create_team(session, org_id=org, name=f"team-{n}", description=None)
    seen: list[str] = []
    cursor = None
    async with db.transaction(org) as session:
        while True:
            page = await teams.list_teams(session, org, cursor=cursor, limit=3)
            seen += [t.name for t in page.items]
            if page.next_cursor is None:
                break
            cursor = page.next_cursor
    assert sorted(seen) == [f"team-{n}" for n in range(7)]
    assert len(seen) == len(set(seen))


async def test_pre_org_lookups_find_credentials_across_orgs(db: Database) -> None:
    org = await _org(db, "lookup")
    async with db.transaction(org) as session:
        user = await users.create_user(
            session, email="Ada@Example.com", password_hash="h", display_name=None
        )
        await members.create_member(session, org_id=org, user_id=user.id, role="owner")
        await api_keys.create_api_key(
            session, org_id=org, name="k", public_id="abcdefabcdef", secret_hash="0" * 64,
            scopes=["read"], agent_id=None, created_by=user.id, expires_at=None,
        )  # fmt: skip
    async with db.transaction() as session:
        assert await users.find_user_id_by_email(session, "ada@example.com") == user.id
        candidates = await users.list_login_candidates(session, "ADA@example.com")
        assert [(c.user_id, c.org_id, c.org_slug) for c in candidates] == [(user.id, org, "lookup")]
        assert await api_keys.find_api_key_org(session, "abcdefabcdef") == org
        assert await api_keys.find_api_key_org(session, "nosuchkey000") is None


async def test_timestamps_come_back_timezone_aware(db: Database) -> None:
    org = await _org(db, "tz")
    when = datetime(2030, 1, 2, 3, 4, 5, tzinfo=UTC)
    async with db.transaction(org) as session:
        key = await api_keys.create_api_key(
            session, org_id=org, name="k", public_id="tztztztztztz", secret_hash="0" * 64,
            scopes=["read"], agent_id=None, created_by=None, expires_at=when,
        )  # fmt: skip
    async with db.transaction(org) as session:
        again = await api_keys.get_api_key(session, org, key.id)
        assert again is not None
        assert again.expires_at == when


@pytest.mark.parametrize(
    "cursor",
    [
        "",
        "not-base64!",
        encode_cursor(uuid.UUID(int=0x0123456789ABCDEF0123456789ABCDEF))[:-2],
        "djE6",
    ],
)
def test_malformed_cursors_are_refused(cursor: str) -> None:
    with pytest.raises(InvalidCursorError):
        decode_cursor(cursor)
