"""Calls left open past the timeout: closed ``interrupted``, their run no longer ``running``,
and still superseded by a record that arrives later, counted once (both engines)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from control_plane.store import open_calls
from control_plane.store.engine import Database
from control_plane.store.tables import Run
from tests.control_plane.ingest.test_batch import ingest
from tests.control_plane.store.test_calls_tenant_dedup import calls_of
from tests.harness.records import record
from tests.harness.store_org import Org


async def _close(db: Database, before: datetime) -> int:
    async with db.transaction() as session:
        orgs = await open_calls.orgs_with_open_calls(session, before)
    closed = 0
    for org_id in orgs:
        async with db.transaction(org_id) as session:
            closed += await open_calls.close_open_calls(session, org_id, before, before)
    return closed


async def _run(db: Database, org: Org) -> tuple[str, int, int, int, int]:
    async with db.transaction(org.id) as session:
        [run] = (await session.execute(select(Run).where(Run.org_id == org.id))).scalars()
        return run.status, run.in_progress, run.calls, run.errors, run.unpriced_calls


async def test_open_calls_are_closed_then_superseded_once(db: Database, org: Org) -> None:
    now = datetime.now(UTC)
    started = record(org.slug, status="in_progress", cost=None, started_at=now)
    done = record(org.slug, cost="1", started_at=now)
    assert (await ingest(db, org, [started, done])).stored == 2
    assert await _run(db, org) == ("running", 1, 1, 0, 0)

    assert await _close(db, now - timedelta(hours=1)) == 0  # not open long enough
    assert await _close(db, now + timedelta(seconds=1)) == 1
    assert await _close(db, now + timedelta(seconds=1)) == 0  # closed once
    closed = [c for c in await calls_of(db, org) if c.call_id == uuid.UUID(started["call_id"])]
    assert [(c.status, c.error_type) for c in closed] == [("interrupted", "open_past_timeout")]
    assert await _run(db, org) == ("error", 0, 2, 1, 1)

    late = dict(started, status="ok", cost={"total_usd": "2"})
    assert (await ingest(db, org, [late])).stored == 1  # the later record still replaces it
    assert (await ingest(db, org, [late])).stored == 0  # and only once
    statuses = sorted((c.status, c.cost_usd) for c in await calls_of(db, org))
    assert [s for s, _ in statuses] == ["ok", "ok"]
    assert await _run(db, org) == ("ok", 0, 2, 0, 0)
