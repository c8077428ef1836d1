"""The one query behind cost reports: sums over the calls table, grouped.

Grouping by team, agent, model and provider happens in SQL; calendar grouping (day, week,
month in the org's time zone) needs the time zone, which SQLite does not have, so the query
also groups by 15-minute UTC buckets. Every time-zone offset in use is a multiple of 15
minutes, so each bucket lies within one local day, and the pure code in
``control_plane.reports`` folds buckets into local periods exactly.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import BigInteger, Integer, case, cast, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from control_plane.reports.facts import CostFact
from control_plane.store.tables import Call, ExactMoney

BUCKET_SECONDS = 900


async def cost_facts(
    session: AsyncSession,
    org_id: uuid.UUID,
    start: datetime,
    end: datetime,
    *,
    buckets: bool,
) -> list[CostFact]:
    """Sums per (team, agent, model, provider[, bucket]) over calls started in [start, end)."""
    keys: list[Any] = [Call.team_id, Call.agent_id, Call.model, Call.provider]
    if buckets:
        keys.append(_bucket(session).label("bucket"))
    stmt = (
        select(
            *keys,
            func.count(),
            func.sum(case((Call.cost_usd.is_(None), 1), else_=0)),
            func.sum(Call.input_tokens),
            func.sum(Call.output_tokens),
            func.sum(Call.cost_usd, type_=ExactMoney()),
            func.sum(case((Call.cost_usd.is_(None), Call.input_tokens), else_=0)),
            func.sum(case((Call.cost_usd.is_(None), Call.output_tokens), else_=0)),
        )
        .where(Call.org_id == org_id, Call.started_at >= start, Call.started_at < end)
        .group_by(*keys)
    )
    rows: Sequence[Any] = (await session.execute(stmt)).all()
    return [_fact(row, buckets) for row in rows]


def _bucket(session: AsyncSession) -> Any:
    if session.get_bind().dialect.name == "postgresql":
        pg_epoch = func.floor(func.extract("epoch", Call.started_at) / BUCKET_SECONDS)
        return cast(pg_epoch, BigInteger) * BUCKET_SECONDS
    epoch = cast(func.strftime("%s", Call.started_at), Integer)
    return (epoch // BUCKET_SECONDS) * BUCKET_SECONDS


def _fact(row: Any, buckets: bool) -> CostFact:
    team_id, agent_id, model, provider, *rest = row
    bucket = None
    if buckets:
        bucket = datetime.fromtimestamp(int(rest.pop(0)), UTC)
    calls, unpriced, input_tokens, output_tokens, cost, unpriced_in, unpriced_out = rest
    return CostFact(
        team_id=team_id,
        agent_id=agent_id,
        model=model,
        provider=provider,
        bucket=bucket,
        calls=int(calls),
        unpriced_calls=int(unpriced or 0),
        input_tokens=int(input_tokens or 0),
        output_tokens=int(output_tokens or 0),
        cost_usd=cost if cost is not None else Decimal(0),
        unpriced_input_tokens=int(unpriced_in or 0),
        unpriced_output_tokens=int(unpriced_out or 0),
    )
