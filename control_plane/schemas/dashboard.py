"""Dashboard pages: KPI cards, top lists and a trend series, from the rollups."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel

from control_plane.schemas.common import Request
from control_plane.schemas.costs import CostGroup, Figures, TrendPoint
from control_plane.schemas.runs import RunOut

Window = Literal["24h", "7d", "30d"]


class DashboardQuery(Request):
    window: Window = "7d"


class DashboardHome(BaseModel):
    window: Window
    start: datetime
    end: datetime
    kpis: Figures
    top_agents: list[CostGroup]
    top_models: list[CostGroup]
    trend: list[TrendPoint]  # hourly for 24h, daily otherwise


class DashboardAgent(BaseModel):
    agent_id: str
    name: str
    window: Window
    start: datetime
    end: datetime
    kpis: Figures
    top_models: list[CostGroup]
    trend: list[TrendPoint]
    recent_runs: list[RunOut]
