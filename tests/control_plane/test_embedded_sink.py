"""The embedded sink ingests in-process for the default org, creating it and its agents on
first sight, with the same idempotency as HTTP ingestion (both engines)."""

from __future__ import annotations

from sqlalchemy import func, select

from agentops.sinks import RecordSink
from control_plane.embedded_sink import EmbeddedSink
from control_plane.store.engine import Database, create_database
from control_plane.store.tables import Agent, Call, Organization
from tests.harness.records import record


async def test_the_embedded_sink_stores_records_for_the_default_org(
    db: Database, store_url: str
) -> None:
    sink: RecordSink = EmbeddedSink(db, "default")
    batch = [record("default", "laptop-agent"), record("default", "other"), record("acme")]
    answer = await sink.deliver(batch)
    assert (answer.stored, answer.rejected) == (2, 1)
    assert (await sink.deliver(batch)).duplicate == 2
    assert (await EmbeddedSink(db, "default").deliver(batch)).duplicate == 2  # org found again
    owner = create_database(store_url)  # the database owner: row-level security aside
    async with owner.transaction() as session:
        [org] = (await session.execute(select(Organization))).scalars().all()
    await owner.dispose()
    async with db.transaction(org.id) as session:
        agents = (await session.execute(select(Agent.name).order_by(Agent.name))).scalars()
        assert list(agents) == ["laptop-agent", "other"]
        assert (await session.execute(select(func.count()).select_from(Call))).scalar() == 2
