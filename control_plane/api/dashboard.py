"""/dashboard: the home page (KPIs, top agents and models, trend) and one agent's page."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from control_plane.api.costs import figures, group_labels, merge, path_agent, trend
from control_plane.api.runs import runs_out
from control_plane.endpoint import ApiRequest
from control_plane.schemas.costs import CostGroup
from control_plane.schemas.dashboard import DashboardAgent, DashboardHome, DashboardQuery, Window
from control_plane.store import runs
from control_plane.store.rollups import RollupScope, sum_rollups

WINDOWS = {"24h": timedelta(hours=24), "7d": timedelta(days=7), "30d": timedelta(days=30)}
TOP = 5


def window_range(window: Window) -> tuple[datetime, datetime]:
    end = datetime.now(UTC)
    start = (end - WINDOWS[window]).replace(minute=0, second=0, microsecond=0)
    return start, end


async def home(req: ApiRequest) -> DashboardHome:
    window = req.query_as(DashboardQuery).window
    start, end = window_range(window)
    org_id = req.principal.org_id
    scope = RollupScope(start, end)
    async with req.transaction() as session:
        series = await sum_rollups(session, org_id, scope, "hour" if window == "24h" else "day")
        top_agents = await sum_rollups(session, org_id, scope, "agent", top=TOP)
        top_models = await sum_rollups(session, org_id, scope, "model", top=TOP)
        names = await group_labels(session, org_id, "agent", [k for k, _ in top_agents])
    return DashboardHome(
        window=window, start=start, end=end, kpis=figures(merge([s for _, s in series])),
        top_agents=[CostGroup(key=k, label=names.get(k, k), figures=figures(s)) for k, s in top_agents],
        top_models=[CostGroup(key=k, label=k, figures=figures(s)) for k, s in top_models],
        trend=trend(series),
    )  # fmt: skip


async def agent_page(req: ApiRequest) -> DashboardAgent:
    window = req.query_as(DashboardQuery).window
    start, end = window_range(window)
    org_id = req.principal.org_id
    async with req.transaction() as session:
        agent = await path_agent(session, req)
        scope = RollupScope(start, end, agent_id=agent.id)
        series = await sum_rollups(session, org_id, scope, "hour" if window == "24h" else "day")
        models = await sum_rollups(session, org_id, scope, "model", top=TOP)
        recent = await runs_out(
            session, org_id, await runs.list_recent_runs(session, org_id, agent.id)
        )
    return DashboardAgent(
        agent_id=str(agent.id), name=agent.name, window=window, start=start, end=end,
        kpis=figures(merge([s for _, s in series])),
        top_models=[CostGroup(key=k, label=k, figures=figures(s)) for k, s in models],
        trend=trend(series), recent_runs=recent,
    )  # fmt: skip
