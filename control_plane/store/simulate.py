"""The stored calls a policy simulation replays, read in two shapes.

``call_groups``: one row per (agent, team, provider, endpoint, model requested) with its count,
cost and tokens, computed in SQL: a policy whose conditions depend only on those is decided once
per group, so a million calls cost one grouped scan. ``call_rows``: the calls of a few groups,
one by one, with what per-call conditions read (start time, request size, tools, captured
prompt, cost), for the policies that need them; with ``with_run``, also where each call stood in
its run (window functions over the run's calls in time order: its call number and the input
tokens of the run so far, this call's included), as the proxy's run counters would have had it.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Row, and_, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from control_plane.store.tables import Agent, Call, Team

FINAL = Call.status != "in_progress"


def _tallies() -> tuple[Any, ...]:
    """What a group or a minute of calls adds up: calls, cost, unpriced calls, tokens."""
    return (
        func.count().label("calls"),
        func.coalesce(func.sum(Call.cost_usd), 0).label("cost"),
        func.count().filter(Call.cost_usd.is_(None)).label("unpriced"),
        func.coalesce(func.sum(Call.input_tokens), 0).label("input_tokens"),
        func.coalesce(func.sum(Call.output_tokens), 0).label("output_tokens"),
    )


@dataclass(frozen=True)
class CallGroup:
    agent_id: uuid.UUID
    agent: str
    team: str | None
    environment: str | None
    tags: Any
    provider: str
    endpoint: str
    model: str | None
    calls: int
    cost_usd: Decimal  # of the priced calls
    unpriced: int  # calls whose cost is unknown
    input_tokens: int
    output_tokens: int


async def call_groups(
    session: AsyncSession, org_id: uuid.UUID, since: datetime, until: datetime
) -> list[CallGroup]:
    model = func.coalesce(Call.model_requested, Call.model)
    grouped = (
        select(
            Call.agent_id,
            Call.team_id,
            Call.provider,
            Call.endpoint,
            model.label("model"),
            *_tallies(),
        )
        .where(Call.org_id == org_id, Call.started_at >= since, Call.started_at < until, FINAL)
        .where(Call.metered.is_(True))
        .group_by(Call.agent_id, Call.team_id, Call.provider, Call.endpoint, model)
        .subquery()
    )
    stmt = (
        select(grouped, Agent.name, Agent.environment, Agent.tags, Team.name.label("team"))
        .join(Agent, Agent.id == grouped.c.agent_id)
        .outerjoin(Team, Team.id == grouped.c.team_id)
    )
    return [_group(row) for row in (await session.execute(stmt)).all()]


def _group(row: Row[Any]) -> CallGroup:
    m = row._mapping
    return CallGroup(
        m["agent_id"], m["name"], m["team"], m["environment"], m["tags"], m["provider"],
        m["endpoint"], m["model"] or None, int(m["calls"]), Decimal(m["cost"]),
        int(m["unpriced"]), int(m["input_tokens"]), int(m["output_tokens"]),
    )  # fmt: skip


@dataclass(frozen=True)
class CallRow:
    started_at: datetime
    cost_usd: Decimal | None
    input_tokens: int
    output_tokens: int
    record: dict[str, Any]
    run_calls: int = 0  # with_run: this call's number in its run (1 for the first)
    run_tokens: int = 0  # with_run: input tokens of the run's calls up to this one


async def call_rows(
    session: AsyncSession,
    org_id: uuid.UUID,
    since: datetime,
    until: datetime,
    groups: Sequence[CallGroup],
    *,
    with_record: bool = True,
    with_run: bool = False,
    batch: int = 5000,
) -> AsyncIterator[tuple[CallGroup, CallRow]]:
    """The calls of ``groups``, streamed in batches (SQL pre-filtered to those groups);
    ``with_record``: read each call's JSON document too (request size, tools, prompt);
    ``with_run``: each call's place in its run (``run_calls``, ``run_tokens``)."""
    by_key = _by_key(groups)
    if not by_key:
        return
    model = func.coalesce(Call.model_requested, Call.model).label("model")
    columns = (Call.agent_id, Call.provider, Call.endpoint, model, Call.started_at,
               Call.cost_usd, Call.input_tokens, Call.output_tokens, Call.record)  # fmt: skip
    window = (Call.org_id == org_id, Call.started_at >= since, Call.started_at < until, FINAL,
              Call.metered.is_(True))  # fmt: skip
    if with_run:
        # Over every call of the window (all groups: a run may call several models), then
        # narrowed to the groups replayed.
        order = (Call.started_at, Call.call_id)
        inner = (
            select(
                *columns,
                func.row_number().over(partition_by=Call.run_pk, order_by=order).label("n"),
                func.sum(Call.input_tokens)
                .over(partition_by=Call.run_pk, order_by=order, rows=(None, 0))
                .label("run_tokens"),
            )
            .where(*window)
            .subquery()
        )
        c = inner.c
        stmt = select(inner).where(_in_groups(by_key, c.agent_id, c.provider, c.endpoint, c.model))
    else:
        stmt = select(*columns).where(*window, _in_groups(by_key))
    result = await session.stream(stmt.execution_options(yield_per=batch))
    async for row in result:
        m = row._mapping
        group = by_key[(m["agent_id"], m["provider"], m["endpoint"], m["model"] or "")]
        yield (
            group,
            CallRow(
                m["started_at"], m["cost_usd"], m["input_tokens"], m["output_tokens"],
                m["record"], int(m.get("n") or 0), int(m.get("run_tokens") or 0),
            ),
        )  # fmt: skip


GroupKey = tuple[uuid.UUID, str, str, str]


def _by_key(groups: Sequence[CallGroup]) -> dict[GroupKey, CallGroup]:
    return {(g.agent_id, g.provider, g.endpoint, g.model or ""): g for g in groups}


def _in_groups(
    by_key: dict[GroupKey, CallGroup],
    agent: Any = Call.agent_id,
    provider: Any = Call.provider,
    endpoint: Any = Call.endpoint,
    model: Any = None,
) -> Any:
    """The calls of these groups (columns of ``calls``, or of a subquery over it)."""
    model = func.coalesce(Call.model_requested, Call.model) if model is None else model
    return or_(
        *(and_(agent == a, provider == p, endpoint == e, model == m) for a, p, e, m in by_key)
    )


@dataclass(frozen=True)
class MinuteBucket:
    """The calls of one group that started in one minute (UTC), summed."""

    minute: datetime
    calls: int
    cost_usd: Decimal
    unpriced: int
    input_tokens: int
    output_tokens: int


async def call_minutes(
    session: AsyncSession,
    org_id: uuid.UUID,
    since: datetime,
    until: datetime,
    groups: Sequence[CallGroup],
) -> AsyncIterator[tuple[CallGroup, MinuteBucket]]:
    """The calls of ``groups`` summed per minute they started in, computed in SQL: for policies
    whose only per-call condition is a time window (its bounds are whole minutes, so every
    call of a minute is inside or outside it alike), one row a minute replaces one a call."""
    by_key = _by_key(groups)
    if not by_key:
        return
    postgres = session.get_bind().dialect.name == "postgresql"
    minute = (
        func.date_trunc("minute", Call.started_at)
        if postgres
        else func.strftime("%Y-%m-%d %H:%M:00", Call.started_at)
    ).label("minute")
    model = func.coalesce(Call.model_requested, Call.model).label("model")
    stmt = (
        select(
            Call.agent_id, Call.provider, Call.endpoint, model, minute,
            *_tallies(),
        )
        .where(Call.org_id == org_id, Call.started_at >= since, Call.started_at < until, FINAL)
        .where(Call.metered.is_(True), _in_groups(by_key))
        .group_by(Call.agent_id, Call.provider, Call.endpoint, model, minute)
    )  # fmt: skip
    for row in (await session.execute(stmt)).all():
        at = row.minute
        if isinstance(at, str):
            at = datetime.fromisoformat(at).replace(tzinfo=UTC)
        group = by_key[(row.agent_id, row.provider, row.endpoint, row.model or "")]
        yield group, MinuteBucket(
            at, int(row.calls), Decimal(row.cost), int(row.unpriced), int(row.input_tokens),
            int(row.output_tokens),
        )  # fmt: skip
