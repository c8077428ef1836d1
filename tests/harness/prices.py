"""Helpers of the price tests: ingest through the real service, and sum calls, rollups and runs in
SQL to check that the aggregates still equal their calls."""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

from sqlalchemy import case, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from control_plane.ingest.batch import IngestTarget, ingest_records
from control_plane.services.prices import PriceCache
from control_plane.store.engine import Database
from control_plane.store.tables import Call, CostRollup, CostRollupDaily, Run
from tests.harness.store_org import Org

ZERO = Decimal(0)


async def ingest(
    database: Database, org: Org, records: list[dict[str, Any]], cache: PriceCache | None = None
) -> None:
    async with database.transaction(org.id) as session:
        answer = await ingest_records(
            session, IngestTarget(org.id, org.slug), records, price_cache=cache
        )
    assert answer.rejected == 0, answer


def _unpriced(column: Any) -> Any:
    return func.sum(case((column.is_(None), 1), else_=0))


async def call_sums(session: AsyncSession, org_id: uuid.UUID) -> dict[tuple[Any, ...], Any]:
    """(agent, model, provider) -> (cost, unpriced calls, calls) summed in SQL over final calls."""
    stmt = (
        select(Call.agent_id, Call.model, Call.provider, func.sum(Call.cost_usd),
               _unpriced(Call.cost_usd), func.count())
        .where(Call.org_id == org_id, Call.status != "in_progress")
        .group_by(Call.agent_id, Call.model, Call.provider)
    )  # fmt: skip
    return {
        (a, m, p): (c or ZERO, int(u), int(n)) for a, m, p, c, u, n in await session.execute(stmt)
    }


async def rollup_sums(
    session: AsyncSession, org_id: uuid.UUID, table: type[CostRollup] | type[CostRollupDaily]
) -> dict[tuple[Any, ...], Any]:
    stmt = (
        select(table.agent_id, table.model, table.provider, func.sum(table.cost_usd),
               func.sum(table.unpriced_calls), func.sum(table.calls))
        .where(table.org_id == org_id)
        .group_by(table.agent_id, table.model, table.provider)
    )  # fmt: skip
    return {
        (a, m, p): (c or ZERO, int(u), int(n)) for a, m, p, c, u, n in await session.execute(stmt)
    }


async def assert_aggregates_match_calls(database: Database, org_id: uuid.UUID) -> None:
    """Hourly and daily rollups and runs equal the SQL sums over the calls they count."""
    async with database.transaction(org_id) as session:
        calls = await call_sums(session, org_id)
        assert await rollup_sums(session, org_id, CostRollup) == calls
        assert await rollup_sums(session, org_id, CostRollupDaily) == calls
        per_run = (
            select(Call.run_pk, func.sum(Call.cost_usd), _unpriced(Call.cost_usd))
            .where(Call.org_id == org_id, Call.status != "in_progress")
            .group_by(Call.run_pk)
        )
        expected = {r: (c or ZERO, int(u)) for r, c, u in await session.execute(per_run)}
        runs = select(Run.id, Run.cost_usd, Run.unpriced_calls).where(Run.org_id == org_id)
        assert {r: (c, u) for r, c, u in await session.execute(runs)} == expected
