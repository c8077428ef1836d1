"""/costs: cost reports from the hourly rollups (summary by a dimension, one agent, one team).

Ranges are hour-aligned: the rollup of an hour counts when the hour starts in the range. Days
(``group_by=day``, ``by_day``) are calendar days of the org's timezone.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from control_plane.endpoint import ApiRequest
from control_plane.errors import ValidationFailedError, found
from control_plane.schemas.costs import (
    CostBreakdown,
    CostGroup,
    CostSummary,
    CostSummaryQuery,
    Figures,
    TimeRange,
    TrendPoint,
)
from control_plane.store import agents, teams
from control_plane.store.rollups import Grouping, RollupScope, sum_rollups
from control_plane.store.tables import Agent
from control_plane.store.tables.rollups import BUCKET_COLUMNS, LATENCY_BOUNDS_MS, NO_TEAM
from control_plane.store.types import AsyncSession

DEFAULT_RANGE = timedelta(days=30)


async def cost_summary(req: ApiRequest) -> CostSummary:
    query = req.query_as(CostSummaryQuery)
    start, end = time_range(query)
    org_id = req.principal.org_id
    async with req.transaction() as session:
        scope = RollupScope(start, end)
        groups = await sum_rollups(session, org_id, scope, query.group_by)
        labels = await group_labels(session, org_id, query.group_by, [k for k, _ in groups])
    out = [CostGroup(key=k, label=labels.get(k, k), figures=figures(s)) for k, s in groups]
    totals = figures(merge([s for _, s in groups]))
    return CostSummary(group_by=query.group_by, start=start, end=end, totals=totals, groups=out)


async def path_agent(session: AsyncSession, req: ApiRequest) -> Agent:
    """The agent the URL names (``{agent_id}``), or a 404."""
    return found(
        await agents.get_agent(session, req.principal.org_id, req.path_id("agent_id")),
        f"no such agent: {req.request.match_info['agent_id']}",
    )


async def cost_by_agent(req: ApiRequest) -> CostBreakdown:
    start, end = time_range(req.query_as(TimeRange))
    org_id = req.principal.org_id
    async with req.transaction() as session:
        agent = await path_agent(session, req)
        scope = RollupScope(start, end, agent_id=agent.id)
        return await breakdown(session, org_id, scope, "agent", str(agent.id), agent.name)


async def cost_by_team(req: ApiRequest) -> CostBreakdown:
    start, end = time_range(req.query_as(TimeRange))
    name = req.request.match_info["name"]
    org_id = req.principal.org_id
    async with req.transaction() as session:
        team = found(await teams.get_team_by_name(session, org_id, name), f"no team named {name!r}")
        scope = RollupScope(start, end, team_id=team.id)
        return await breakdown(session, org_id, scope, "team", str(team.id), team.name)


async def breakdown(
    session: AsyncSession, org_id: uuid.UUID, scope: RollupScope, kind: Any, id_: str, name: str
) -> CostBreakdown:
    models = await sum_rollups(session, org_id, scope, "model")
    days = await sum_rollups(session, org_id, scope, "day")
    return CostBreakdown(
        scope=kind, id=id_, name=name, start=scope.start, end=scope.end,
        totals=figures(merge([s for _, s in models])),
        by_model=[CostGroup(key=k, label=k, figures=figures(s)) for k, s in models],
        by_day=trend(days),
    )  # fmt: skip


def time_range(query: TimeRange) -> tuple[datetime, datetime]:
    end = query.to or datetime.now(UTC)
    start = query.from_ or end - DEFAULT_RANGE
    if start >= end:
        raise ValidationFailedError("query: from must be before to")
    # Hour-aligned: the hour holding ``start`` counts, as does every hour starting before end.
    return start.replace(minute=0, second=0, microsecond=0), end


def merge(rows: list[dict[str, Any]]) -> dict[str, Any]:
    total: dict[str, Any] = {}
    for row in rows:
        for name, value in row.items():
            total[name] = total.get(name, 0) + (value or 0)
    return total


def figures(sums: dict[str, Any]) -> Figures:
    if not sums:
        return Figures()
    calls, errors = int(sums["calls"] or 0), int(sums["errors"] or 0)
    count = int(sums["latency_count"] or 0)
    buckets = [int(sums[name] or 0) for name in BUCKET_COLUMNS]
    mean = float(sums["latency_ms_sum"]) / count if count else None
    return Figures(
        calls=calls, errors=errors, error_rate=errors / calls if calls else 0.0,
        input_tokens=int(sums["input_tokens"] or 0), output_tokens=int(sums["output_tokens"] or 0),
        cached_read_tokens=int(sums["cached_read_tokens"] or 0),
        cache_write_tokens=int(sums["cache_write_tokens"] or 0),
        reasoning_tokens=int(sums["reasoning_tokens"] or 0),
        cost_usd=Decimal(sums["cost_usd"] or 0), unpriced_calls=int(sums["unpriced_calls"] or 0),
        unpriced_input_tokens=int(sums.get("unpriced_input_tokens") or 0),
        unpriced_output_tokens=int(sums.get("unpriced_output_tokens") or 0),
        latency_ms_avg=mean,
        latency_ms_p50=percentile(buckets, 0.50, mean),
        latency_ms_p95=percentile(buckets, 0.95, mean),
    )  # fmt: skip


def percentile(buckets: list[int], q: float, mean: float | None = None) -> float | None:
    """The q-quantile estimated from the latency histogram, as Prometheus'
    ``histogram_quantile`` does: linear within the bucket holding it (the first bucket starts
    at 0; the open last bucket reports its lower bound). Latencies are never negative, so by
    Markov's inequality the q-quantile is at most ``mean / (1 - q)``: with every call in the
    first bucket (0-50 ms) and a 6 ms mean, p50 is at most 12 ms, not the bucket's 50 ms."""
    total = sum(buckets)
    if total == 0:
        return None
    if total == 1 and mean is not None:
        return mean  # one call: its latency is every quantile
    bounds = LATENCY_BOUNDS_MS
    rank, seen = q * total, 0
    estimate = float(bounds[-1])
    for index, n in enumerate(buckets):
        if n and seen + n >= rank:
            if index >= len(bounds):
                break
            lower = bounds[index - 1] if index else 0.0
            estimate = lower + (bounds[index] - lower) * (rank - seen) / n
            break
        seen += n
    if mean is not None and q < 1:
        estimate = min(estimate, mean / (1 - q))
    return estimate


def trend(rows: list[tuple[str, dict[str, Any]]]) -> list[TrendPoint]:
    return [
        TrendPoint(
            at=key,
            calls=int(s["calls"] or 0),
            errors=int(s["errors"] or 0),
            tokens=int(s["input_tokens"] or 0) + int(s["output_tokens"] or 0),
            cost_usd=Decimal(s["cost_usd"] or 0),
        )
        for key, s in rows
    ]


async def group_labels(
    session: AsyncSession, org_id: uuid.UUID, group: Grouping, keys: list[str]
) -> dict[str, str]:
    """Names for id keys: agents and teams by name; no team reads '(no team)'."""
    ids = {uuid.UUID(k) for k in keys} if group in ("agent", "team") else set()
    if group == "agent":
        return {str(i): n for i, n in (await agents.get_agent_names(session, org_id, ids)).items()}
    if group == "team":
        names = await teams.get_team_names(session, org_id, ids - {NO_TEAM})
        return {str(NO_TEAM): "(no team)"} | {str(i): n for i, n in names.items()}
    if group == "org":
        return {str(org_id): "org"}
    return {}
