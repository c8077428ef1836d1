"""The row operations the table modules share hold on both engines: rows stay inside their
org, a page is newest first with a cursor that neither skips nor repeats, only given filters
narrow, and a lookup by a key that is not there finds nothing."""

from __future__ import annotations

import uuid

from sqlalchemy import select

from control_plane.store import rows
from control_plane.store.engine import Database
from control_plane.store.tables import Team
from tests.harness.store_org import Org, make_org

TEAMS = rows.OrgTable(Team)


async def test_rows_stay_in_their_org_and_page_newest_first(db: Database, org: Org) -> None:
    other = await make_org(db, "globex")
    async with db.transaction(org.id) as session:
        made = [
            await TEAMS.create(session, org_id=org.id, name=f"t{i}", description=None)
            for i in range(4)
        ]
        assert await TEAMS.get(session, org.id, made[0].id) is made[0]
        assert await TEAMS.get(session, org.id, uuid.uuid4()) is None
        first = await TEAMS.page(session, org.id, limit=3)
        rest = await TEAMS.page(session, org.id, cursor=first.next_cursor, limit=3)
    async with db.transaction(other.id) as session:
        assert await TEAMS.get(session, other.id, made[0].id) is None
    # UUIDv7 ids: by time, and within a millisecond in a stable (random) order.
    newest_first = sorted([team.id for team in made] + [org.team_id], reverse=True)
    assert [t.id for t in first.items + rest.items] == newest_first
    assert first.next_cursor is not None
    assert rest.next_cursor is None


async def test_update_delete_and_narrowing(db: Database, org: Org) -> None:
    async with db.transaction(org.id) as session:
        team = await TEAMS.create(session, org_id=org.id, name="ops", description="on call")
        await rows.update_row(session, team, {"description": "pager"})
        assert await rows.find_row(session, Team, Team.name == "ops") is team
        assert team.description == "pager"
        narrowed = rows.where_given(
            select(Team.name).where(Team.org_id == org.id),
            (Team.description, "pager"),
            (Team.name, None),
        )
        assert list((await session.execute(narrowed)).scalars()) == ["ops"]
        await rows.delete_row(session, team)
        assert await rows.find_row(session, Team, Team.name == "ops", lock=True) is None
