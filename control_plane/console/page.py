"""What every console page handler gets, and the wrapper that signs in, checks CSRF and turns
API errors into an HTML page with the same status."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, NoReturn
from urllib.parse import quote

import aiohttp_jinja2
from aiohttp import web

from control_plane.auth.permissions import Permission
from control_plane.auth.principal import Principal
from control_plane.console import session
from control_plane.console.apicall import call_api, can
from control_plane.errors import ApiError

PageHandler = Callable[["Page"], Awaitable[web.StreamResponse]]

# After a POST a page redirects with ?notice=<code>; only these texts can be shown, so a
# crafted link cannot put words in the console's mouth.
NOTICES = {
    "killed": "Kill applied: the proxies refuse this scope's calls and cut live streams.",
    "paused": "Pause applied: new calls are refused, live ones finish.",
    "resumed": "Resumed: calls are allowed again.",
    "budget_saved": "Budget saved.",
    "invited": "Invitation recorded.",
    "member_updated": "Member updated.",
    "member_removed": "Member removed.",
    "team_created": "Team created.",
    "key_revoked": "API key revoked.",
    "channel_created": "Notification channel added.",
    "profile_saved": "Organisation profile saved.",
    "price_saved": "Price override saved.",
    "approval_approved": "Approved: the proxy holding the call sends it on.",
    "approval_denied": "Denied: the proxy holding the call refuses it with your reason.",
    "test_sent": "Test notification queued; see its delivery below.",
}


@dataclass
class Page:
    request: web.Request
    principal: Principal
    nav: str
    tz: str = "UTC"
    org_name: str = ""

    async def api(
        self,
        method: str,
        path: str,
        *,
        query: Mapping[str, Any] | None = None,
        body: Mapping[str, Any] | None = None,
    ) -> Any:
        return await call_api(self.request, self.principal, method, path, query=query, body=body)

    def can(self, permission: Permission | str) -> bool:
        return can(self.principal, permission)

    def query(self, *names: str) -> dict[str, str]:
        """The named query parameters that are present and non-empty (forms send blanks)."""
        q = self.request.query
        return {n: q[n].strip() for n in names if q.get(n, "").strip()}

    async def form(self) -> dict[str, str]:
        """The posted fields, blanks dropped, without the CSRF token."""
        posted = await self.request.post()
        return {
            k: v.strip()
            for k, v in posted.items()
            if isinstance(v, str) and v.strip() and k != session.CSRF_FIELD
        }

    def render(self, template: str, *, status: int = 200, **context: Any) -> web.Response:
        base = {
            "principal": self.principal,
            "can": self.can,
            "csrf": session.csrf_token(self.request),
            "nav": self.nav,
            "tz": self.tz,
            "org_name": self.org_name,
            "request": self.request,
            "notice": NOTICES.get(self.request.query.get("notice", ""), ""),
        }
        return aiohttp_jinja2.render_template(template, self.request, base | context, status=status)

    def redirect(self, location: str) -> NoReturn:
        """After a successful POST: back to a page (POST, redirect, GET)."""
        raise web.HTTPSeeOther(location)


def page(handler: PageHandler, nav: str) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
    async def handle(request: web.Request) -> web.StreamResponse:
        principal = await session.current_principal(request)
        if principal is None:
            target = "/login?next=" + quote(request.path_qs, safe="")
            if request.headers.get("HX-Request"):
                return web.Response(status=401, headers={"HX-Redirect": target})
            raise web.HTTPSeeOther(target)
        current = Page(request, principal, nav)
        if request.method == "POST" and not await session.csrf_ok(request):
            return error_page(
                current, 403, "This form has expired or did not come from this console. "
                "Reload the page and try again.", "csrf_failed",
            )  # fmt: skip
        try:
            current.org_name, current.tz = request[session.ORG_VIEW]
            return await handler(current)
        except ApiError as exc:
            return error_page(current, exc.status, exc.message, exc.code, exc.details)

    handle.__name__ = handler.__name__
    return handle


def error_page(
    current: Page, status: int, message: str, code: str, details: Any = None
) -> web.Response:
    return current.render("error.html", status=status, message=message, code=code, details=details)


def with_offset(value: str) -> str:
    """``<input type="datetime-local">`` sends no offset and the API wants one: read it as UTC.
    Anything unparsable is passed on, for the API's 422 to name the field."""
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return value
    return value if parsed.tzinfo else value + "+00:00"
