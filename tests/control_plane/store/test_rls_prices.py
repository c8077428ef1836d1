"""Row-level security on PostgreSQL keeps an org's prices and corrections to itself; the
application may not delete a correction or an override row (they are history)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from decimal import Decimal

import pytest
from sqlalchemy import delete, func, select
from sqlalchemy.exc import ProgrammingError

from agentops.ids import uuid7
from control_plane.store import prices
from control_plane.store.engine import Database, create_database
from control_plane.store.tables import CostCorrection, PriceOverrideRow, utcnow
from tests.harness.store_org import make_org


@pytest.fixture
async def pg_db(pg_url: str) -> AsyncIterator[Database]:
    database = create_database(pg_url, app_role="agentops_app")
    yield database
    await database.dispose()


async def test_prices_and_corrections_stay_in_their_org(pg_db: Database) -> None:
    acme, other = await make_org(pg_db, "acme"), await make_org(pg_db, "other")
    async with pg_db.transaction(acme.id) as session:
        values = {"model": "gpt-4o", "provider": "openai", "input": Decimal(1)}
        await prices.create_override(session, acme.id, values, "t")
        correction = {"org_id": acme.id, "call_id": uuid7(), "call_started_at": utcnow(),
                      "old_total": None, "new_total": Decimal(1), "old_price_version": None,
                      "new_price_version": "v", "batch_id": uuid.uuid4(), "actor": "t"}  # fmt: skip
        await prices.add_corrections(session, [correction])
    async with pg_db.transaction(other.id) as session:
        assert await prices.list_overrides(session, other.id) == []
        assert await prices.get_override_version(session, other.id) == 0
        for table in (PriceOverrideRow, CostCorrection):
            count = select(func.count()).select_from(table)
            assert (await session.execute(count)).scalar_one() == 0
    for table in (PriceOverrideRow, CostCorrection):
        with pytest.raises(ProgrammingError, match="permission denied"):
            async with pg_db.transaction(acme.id) as session:
                await session.execute(delete(table))
