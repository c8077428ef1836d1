"""Agents: the registry, and one agent's page with charts, the controls in force on it, the
proxies that applied them, and kill / pause / resume behind a confirmation step."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from control_plane.console.charts import latency_chart, trend_chart
from control_plane.console.page import Page

ACTIONS = {"kill": "killed", "pause": "paused", "resume": "resumed"}


async def agent_list(page: Page) -> web.StreamResponse:
    query = page.query("status", "team", "name_prefix", "cursor")
    agents = await page.api("GET", "/agents", query=query | {"limit": 50})
    teams = (await page.api("GET", "/teams", query={"limit": 200})).items
    return page.render("agents.html", agents=agents, teams=teams, f=query)


async def agent_detail(page: Page) -> web.StreamResponse:
    agent = await page.api("GET", "/agents/{agent_id}")
    window = page.query("window").get("window", "7d")
    dash = await page.api("GET", "/dashboard/agent/{agent_id}", query={"window": window})
    status = await page.api("GET", "/emergency")
    return page.render(
        "agent.html",
        agent=agent,
        d=dash,
        window=window,
        rules=[r for r in status.rules if _applies(r, agent)],
        emergency=status,
        chart=trend_chart(dash.trend),
        latency=latency_chart(dash.top_models),
    )


async def agent_control(page: Page) -> web.StreamResponse:
    """First POST shows what will happen and asks to confirm; the confirmed POST does it."""
    agent = await page.api("GET", "/agents/{agent_id}")
    form = await page.form()
    action = form.get("action", "")
    if action not in ACTIONS:
        return page.render("error.html", status=400, code="bad_action", details=None,
                           message=f"unknown action {action!r}: choose kill, pause or resume")  # fmt: skip
    if form.get("confirm") != "yes":
        return page.render("agent_confirm.html", agent=agent, action=action, form=form)
    body: dict[str, Any] = {"scope": "agent", "target": agent.name}
    if form.get("reason"):
        body["reason"] = form["reason"]
    await page.api("POST", f"/emergency/{action}", body=body)
    page.redirect(f"/agents/{agent.id}?notice={ACTIONS[action]}")


def _applies(rule: Any, agent: Any) -> bool:
    return bool(
        rule.scope == "org"
        or (rule.scope == "agent" and rule.target == agent.name)
        or (rule.scope == "team" and rule.target == agent.team)
    )
