"""Approvals and policies. The approvals API is not in this build yet: the page says so, lists
the policies when the policies API is present, and the kills and pauses in force."""

from __future__ import annotations

from aiohttp import web

from control_plane.console.apicall import has_route
from control_plane.console.page import Page


async def approvals(page: Page) -> web.StreamResponse:
    status = await page.api("GET", "/emergency")
    policies = None
    if has_route("GET", "/policies") and page.can("policies:read"):
        policies = (await page.api("GET", "/policies", query={"limit": 200})).items
    return page.render("approvals.html", emergency=status, policies=policies)
