"""Home: spend against budgets, KPIs, top agents and models, the trend by day or hour."""

from __future__ import annotations

from aiohttp import web

from control_plane.console.charts import trend_chart
from control_plane.console.page import Page


async def home(page: Page) -> web.StreamResponse:
    window = page.query("window").get("window", "7d")
    dashboard = await page.api("GET", "/dashboard/home", query={"window": window})
    budgets = []
    if page.can("budgets:read"):
        budgets = (await page.api("GET", "/budgets", query={"limit": 200})).items
    template = "home_body.html" if page.request.headers.get("HX-Request") else "home.html"
    return page.render(
        template,
        d=dashboard,
        window=window,
        budgets=[b for b in budgets if b.scope == "org"] or budgets[:5],
        chart=trend_chart(dashboard.trend),
    )
