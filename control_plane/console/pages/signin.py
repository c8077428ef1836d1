"""Public pages: sign in (e-mail and password, or the one-time link ``agentops up`` prints),
sign out, and the API reference (Swagger UI over the public OpenAPI document)."""

from __future__ import annotations

from typing import Any

import aiohttp_jinja2
from aiohttp import web
from pydantic import ValidationError

from control_plane.console import session
from control_plane.errors import ApiError
from control_plane.schemas.auth import LoginRequest


def _safe_next(value: str) -> str:
    # Only a path on this site: never //host or a scheme, which would be an open redirect.
    if value.startswith("/") and not value.startswith("//") and "\\" not in value:
        return value
    return "/"


def _form(request: web.Request, status: int = 200, **context: Any) -> web.Response:
    response = aiohttp_jinja2.render_template(
        "login.html",
        request,
        {"csrf": "", "next": "/", "email": "", "org": "", "message": ""} | context,
        status=status,
    )
    return response


async def show(request: web.Request) -> web.StreamResponse:
    if await session.current_principal(request) is not None:
        raise web.HTTPSeeOther(_safe_next(request.query.get("next", "/")))
    response = web.Response()  # collects the pre-session cookie before the page is rendered
    session.ensure_presession(request, response)
    page = _form(
        request, csrf=session.csrf_token(request), next=_safe_next(request.query.get("next", "/"))
    )
    for cookie in response.cookies.values():
        page.cookies[cookie.key] = cookie
    return page


async def submit(request: web.Request) -> web.StreamResponse:
    form = await request.post()
    fields = {k: str(form.get(k, "")).strip() for k in ("email", "password", "org", "next")}
    again = {"email": fields["email"], "org": fields["org"], "next": _safe_next(fields["next"])}
    if not await session.csrf_ok(request):
        return _form(
            request, 403, csrf=session.csrf_token(request),
            message="The sign-in form expired. Please try again.", **again,
        )  # fmt: skip
    try:
        body = LoginRequest(
            email=fields["email"], password=fields["password"], org=fields["org"] or None
        )
        tokens = await session.sign_in(request, body)
    except ApiError as exc:
        if exc.status in (429, 503):  # too many failed attempts, or password checks busy
            wait = exc.headers.get("Retry-After", "60")
            return _form(
                request, exc.status, csrf=session.csrf_token(request),
                message=f"{exc.message} Try again in {wait} seconds.", **again,
            )  # fmt: skip
        return _form(
            request, 401, csrf=session.csrf_token(request),
            message="Invalid e-mail or password.", **again,
        )  # fmt: skip
    except ValidationError:
        return _form(
            request, 401, csrf=session.csrf_token(request),
            message="Invalid e-mail or password.", **again,
        )  # fmt: skip
    response = web.HTTPSeeOther(again["next"])
    session.set_cookie(request, response, tokens.refresh_token)
    response.del_cookie(session.PRE_COOKIE, path="/")
    raise response


async def link(request: web.Request) -> web.StreamResponse:
    """The one-time link: its token is exchanged (rotated) once; a second use is refused."""
    token = request.query.get("token", "")
    tokens = await session.redeem_link(request, token) if 0 < len(token) <= 200 else None
    if tokens is None:
        return _form(
            request, 401,
            message="This sign-in link was already used or has expired. Sign in with your password.",
        )  # fmt: skip
    response = web.HTTPSeeOther("/")
    session.set_cookie(request, response, tokens.refresh_token)
    raise response


async def sign_out(request: web.Request) -> web.StreamResponse:
    if await session.current_principal(request) is not None and not await session.csrf_ok(request):
        raise web.HTTPForbidden(text="sign-out form expired; reload the page")
    await session.sign_out(request)
    response = web.HTTPSeeOther("/login")
    session.clear_cookie(response)
    raise response


async def api_docs(request: web.Request) -> web.StreamResponse:
    return aiohttp_jinja2.render_template("apidocs.html", request, {})
