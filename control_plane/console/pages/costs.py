"""Costs: grouped by team, agent, model, provider or day, with a chart, and the CSV and FOCUS
downloads (the reports API's own files, so they match what finance pulls through the API)."""

from __future__ import annotations

from aiohttp import web

from control_plane.console.charts import groups_chart
from control_plane.console.page import Page, with_offset

GROUPS = ("team", "agent", "model", "provider", "day")


async def costs(page: Page) -> web.StreamResponse:
    f = page.query("group_by", "from", "to")
    group_by = f.get("group_by", "agent")
    query = {k: with_offset(v) for k, v in f.items() if k in ("from", "to")}
    summary = await page.api("GET", "/costs/summary", query=query | {"group_by": group_by})
    chart = groups_chart(summary.groups[:30])
    return page.render("costs.html", s=summary, f=f, group_by=group_by, groups=GROUPS, chart=chart)


async def export(page: Page) -> web.StreamResponse:
    f = page.query("by", "from", "to", "format")
    query = {k: with_offset(v) if k in ("from", "to") else v for k, v in f.items()}
    response: web.StreamResponse = await page.api(
        "GET", "/reports/costs", query={"format": "csv"} | query
    )
    return response
