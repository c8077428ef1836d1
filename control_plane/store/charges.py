"""The query behind the FOCUS export: the calls of a range with what their charges need.

Only the token and cost parts of each call's JSON document are read (never captured
content), streamed in chunks so a month of calls does not sit in memory twice.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from control_plane.reports.charges import NOT_CHARGES, ChargedCall
from control_plane.store.tables import Call
from pricing import service_tier_name

CHUNK = 5000


async def iter_charged_calls(
    session: AsyncSession, org_id: uuid.UUID, start: datetime, end: datetime
) -> AsyncIterator[ChargedCall]:
    """Final calls started in [start, end), oldest first."""
    stmt = (
        select(
            Call.started_at,
            Call.team_id,
            Call.agent_id,
            Call.run_pk,
            Call.provider,
            Call.model,
            Call.service_tier,
            Call.status,
            Call.cost_usd,
            Call.price_version,
            Call.unpriced_reason,
            Call.record["tokens"],
            Call.record["cost"]["breakdown"],
        )
        .where(
            Call.org_id == org_id,
            Call.started_at >= start,
            Call.started_at < end,
            Call.status.not_in(NOT_CHARGES),
        )
        .order_by(Call.started_at, Call.call_id)
        .execution_options(yield_per=CHUNK)
    )
    result = await session.stream(stmt)
    async for row in result:
        (started_at, team_id, agent_id, run_pk, provider, model, tier, status, cost, version,
         reason, tokens, breakdown) = row  # fmt: skip
        yield ChargedCall(
            started_at=started_at, team_id=team_id, agent_id=agent_id, run_pk=run_pk,
            provider=provider, model=model, service_tier=service_tier_name(tier),
            status=status, cost_usd=cost,
            price_version=version, unpriced_reason=reason,
            tokens=tokens if isinstance(tokens, dict) else {},
            breakdown=breakdown if isinstance(breakdown, dict) else {},
        )  # fmt: skip
