"""Attack (issue 13): dedup across tenants. Calls were deduplicated on ``(call_id,
started_at)`` across every org, so org A re-sending org B's call ids was told "duplicate"
(learning that B made the call) and lost its own record. Dedup is now scoped by org, on both
engines, for final and in-progress records alike."""

from __future__ import annotations

import uuid
from decimal import Decimal

from sqlalchemy import select

from control_plane.store.engine import Database
from control_plane.store.tables import Call
from tests.control_plane.ingest.test_batch import ingest, rollup_totals
from tests.harness.records import record
from tests.harness.store_org import Org, make_org


async def calls_of(db: Database, org: Org) -> list[Call]:
    async with db.transaction(org.id) as session:
        stmt = select(Call).where(Call.org_id == org.id).order_by(Call.call_id)  # SQLite: no RLS
        return list((await session.execute(stmt)).scalars())


async def test_another_orgs_call_ids_neither_leak_nor_clobber(db: Database, org: Org) -> None:
    victim = org
    attacker = await make_org(db, "evil")
    theirs = [record(victim.slug, cost="1.5") for _ in range(3)]
    assert (await ingest(db, victim, theirs)).stored == 3

    replayed = [record(attacker.slug, cost="0.25", call_id=uuid.UUID(r["call_id"])) for r in theirs]
    answer = await ingest(db, attacker, replayed)
    assert [o.status for o in answer.outcomes] == ["stored"] * 3  # exactly as for fresh ids
    assert (await ingest(db, attacker, replayed)).duplicate == 3  # its own dedup still holds

    for org_, cost in ((victim, Decimal("1.5")), (attacker, Decimal("0.25"))):
        stored = await calls_of(db, org_)
        assert sorted(str(c.call_id) for c in stored) == sorted(r["call_id"] for r in theirs)
        assert {c.cost_usd for c in stored} == {cost}
        assert {c.org_id for c in stored} == {org_.id}
    if db.is_postgres:  # rollups per org (the helper reads through RLS)
        assert (await rollup_totals(db, victim))[:2] == (3, Decimal("4.5"))
        assert (await rollup_totals(db, attacker))[:2] == (3, Decimal("0.75"))


async def test_a_final_record_supersedes_only_its_own_orgs_in_progress_call(
    db: Database, org: Org
) -> None:
    other = await make_org(db, "other")
    started = record(org.slug, status="in_progress", cost=None)
    call_id = uuid.UUID(started["call_id"])
    assert (await ingest(db, org, [started])).stored == 1
    assert (await ingest(db, other, [record(other.slug, status="in_progress", cost=None,
                                            call_id=call_id)])).stored == 1  # fmt: skip
    assert (await ingest(db, other, [record(other.slug, cost="2", call_id=call_id)])).stored == 1
    [mine] = await calls_of(db, org)
    assert (mine.status, mine.cost_usd) == ("in_progress", None)
    [theirs] = await calls_of(db, other)
    assert (theirs.status, theirs.cost_usd) == ("ok", Decimal("2"))
