"""Budgets: progress against the limit, forecast to the period's end, thresholds; create and
edit (admins; the form posts the API's own fields)."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from control_plane.console.page import Page

_TEXT = ("name", "scope", "target", "model", "provider", "period", "limit_usd", "enforcement")
_NUMBERS = ("max_calls", "auto_pause_at_percent")


async def budget_list(page: Page) -> web.StreamResponse:
    f = page.query("cursor")
    budgets = await page.api("GET", "/budgets", query=f | {"limit": 100})
    return page.render("budgets.html", budgets=budgets, f=f, b=None)


async def budget_create(page: Page) -> web.StreamResponse:
    await page.api("POST", "/budgets", body=_body(await page.form(), create=True))
    page.redirect("/budgets?notice=budget_saved")


async def budget_edit(page: Page) -> web.StreamResponse:
    budget = await page.api("GET", "/budgets/{budget_id}")
    return page.render("budget_edit.html", b=budget)


async def budget_update(page: Page) -> web.StreamResponse:
    await page.api("PATCH", "/budgets/{budget_id}", body=_body(await page.form(), create=False))
    page.redirect("/budgets?notice=budget_saved")


def _body(form: dict[str, str], *, create: bool) -> dict[str, Any]:
    fields = _TEXT if create else tuple(f for f in _TEXT if f not in ("scope", "target"))
    body: dict[str, Any] = {k: form[k] for k in fields if k in form}
    body |= {k: form[k] for k in _NUMBERS if k in form}
    if "thresholds" in form:
        body["threshold_alert_percent"] = [
            t.strip() for t in form["thresholds"].split(",") if t.strip()
        ]
    return body
