"""The console's URL map: every page in one table, mounted beside the API by the app factory.

Path parameters carry the API's names (``agent_id``, ``run_id``…) because a page hands its
request to the API handler, which reads them from ``match_info``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path

from aiohttp import web

from control_plane.console.page import PageHandler, page
from control_plane.console.pages import (
    agents,
    approvals,
    budgets,
    connect,
    costs,
    home,
    runs,
    settings,
    signin,
)
from control_plane.console.render import STATIC_PREFIX, setup_templates

STATIC_DIR = Path(__file__).parent / "static"

# (method, path, handler, nav section) of every signed-in page.
PAGES: tuple[tuple[str, str, PageHandler, str], ...] = (
    ("GET", "/", home.home, "home"),
    ("GET", "/agents", agents.agent_list, "agents"),
    ("GET", "/agents/{agent_id}", agents.agent_detail, "agents"),
    ("POST", "/agents/{agent_id}/control", agents.agent_control, "agents"),
    ("GET", "/runs", runs.run_list, "runs"),
    ("GET", "/runs/{run_id}", runs.run_detail, "runs"),
    ("GET", "/costs", costs.costs, "costs"),
    ("GET", "/costs/export", costs.export, "costs"),
    ("GET", "/budgets", budgets.budget_list, "budgets"),
    ("POST", "/budgets", budgets.budget_create, "budgets"),
    ("GET", "/budgets/{budget_id}", budgets.budget_edit, "budgets"),
    ("POST", "/budgets/{budget_id}", budgets.budget_update, "budgets"),
    ("GET", "/approvals", approvals.approvals, "approvals"),
    ("POST", "/approvals/{approval_id}", approvals.decide, "approvals"),
    ("GET", "/settings", settings.settings, "settings"),
    ("GET", "/settings/unpriced", settings.unpriced, "settings"),
    ("POST", "/settings/profile", settings.save_profile, "settings"),
    ("POST", "/settings/members", settings.invite, "settings"),
    ("POST", "/settings/members/{member_id}", settings.change_member, "settings"),
    ("POST", "/settings/teams", settings.create_team, "settings"),
    ("POST", "/settings/api-keys", settings.create_key, "settings"),
    ("POST", "/settings/api-keys/{key_id}/revoke", settings.revoke_key, "settings"),
    ("POST", "/settings/channels", settings.create_channel, "settings"),
    ("POST", "/settings/channels/{channel_id}/test", settings.test_channel, "settings"),
    ("POST", "/settings/prices", settings.set_price, "settings"),
    ("GET", "/connect", connect.connect, "connect"),
)

# Public: signing in and out, and the API reference (the OpenAPI document is public too).
PUBLIC: tuple[tuple[str, str, Callable[[web.Request], Awaitable[web.StreamResponse]]], ...] = (
    ("GET", "/login", signin.show),
    ("POST", "/login", signin.submit),
    ("GET", "/login/link", signin.link),
    ("POST", "/logout", signin.sign_out),
    ("GET", "/api/v1/docs", signin.api_docs),
)


def mount_console(app: web.Application) -> None:
    setup_templates(app)
    for method, path, handler, nav in PAGES:
        app.router.add_route(method, path, page(handler, nav))
    for method, path, public in PUBLIC:
        app.router.add_route(method, path, public)
    app.router.add_static(STATIC_PREFIX, STATIC_DIR, append_version=False)
    app.on_response_prepare.append(_security_headers)


async def _security_headers(request: web.Request, response: web.StreamResponse) -> None:
    if request.path.startswith("/api/") and request.path != "/api/v1/docs":
        return
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    response.headers.setdefault(
        "Content-Security-Policy",
        "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
        "frame-ancestors 'none'; form-action 'self'; base-uri 'none'",
    )
