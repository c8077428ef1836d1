"""Chart.js specs built from API models (drawn by static/console.js from a JSON block)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from control_plane.schemas.costs import CostGroup, TrendPoint


def trend_chart(points: Sequence[TrendPoint]) -> dict[str, Any]:
    return {
        "type": "line",
        "labels": [p.at for p in points],
        "datasets": [
            {"label": "Cost (USD)", "data": [str(p.cost_usd) for p in points], "yAxisID": "y"},
            {"label": "Calls", "data": [p.calls for p in points], "yAxisID": "y1"},
        ],
    }


def groups_chart(groups: Sequence[CostGroup]) -> dict[str, Any]:
    return {
        "type": "bar",
        "labels": [g.label for g in groups],
        "datasets": [{"label": "Cost (USD)", "data": [str(g.figures.cost_usd) for g in groups]}],
    }


def latency_chart(groups: Sequence[CostGroup]) -> dict[str, Any]:
    return {
        "type": "bar",
        "labels": [g.label for g in groups],
        "datasets": [
            {"label": "p50 latency (ms)", "data": [g.figures.latency_ms_p50 for g in groups]},
            {"label": "p95 latency (ms)", "data": [g.figures.latency_ms_p95 for g in groups]},
        ],
    }
