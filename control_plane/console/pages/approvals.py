"""Approvals and policies. The policies and approvals API is not in this build yet: the page
says so and shows the controls that exist today (kills and pauses in force)."""

from __future__ import annotations

from aiohttp import web

from control_plane.console.page import Page


async def approvals(page: Page) -> web.StreamResponse:
    status = await page.api("GET", "/emergency")
    return page.render("approvals.html", emergency=status)
