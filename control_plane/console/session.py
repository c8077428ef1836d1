"""Console sign-in: a refresh token in an HttpOnly cookie, and the CSRF token derived from it.

The cookie holds a refresh token issued by the same login service as the API, so signing out
(or an admin revoking the login, or removing the member) ends the console session too. The
token is checked on every page without being rotated; the CSRF token is an HMAC of the
session token under the server's secret, so it needs no storage and dies with the session.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

from aiohttp import web

from control_plane import app_keys
from control_plane.auth.peer import client_address
from control_plane.auth.principal import Principal
from control_plane.auth.tokens import REFRESH_PREFIX, hash_refresh_token
from control_plane.schemas.auth import LoginRequest, TokenResponse
from control_plane.services import logins, sessions
from control_plane.store import hashed_tokens, members, orgs, users
from control_plane.store.engine import set_current_org
from control_plane.store.tables import RefreshToken, utcnow

COOKIE = "agentops_session"
# Before sign-in there is no session to bind the CSRF token to: the sign-in form binds it to
# this random cookie instead, so a forged cross-site login (login CSRF) is refused too.
PRE_COOKIE = "agentops_presession"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "X-CSRF-Token"
_PRINCIPAL = web.RequestKey("console_principal", Principal)
_PRESESSION = web.RequestKey("console_presession", str)
# The org's display name and time zone, read in the same transaction as the session check so a
# page needs no extra round trip for its header and timestamps.
ORG_VIEW: web.RequestKey[tuple[str, str]] = web.RequestKey("console_org_view")


async def sign_in(request: web.Request, body: LoginRequest) -> TokenResponse:
    """Check e-mail and password exactly as ``POST /auth/login`` does, under the same limits on
    failed attempts per account and per client address (raises 401, or 429 when locked)."""
    app = request.app
    cp = app[app_keys.SETTINGS].control_plane
    database = app[app_keys.DATABASE]

    async def attempt() -> TokenResponse:
        async with database.transaction() as session:
            return await sessions.login(session, app[app_keys.PASSWORDS], cp, body)

    return await logins.guarded(
        app[app_keys.LOGIN_THROTTLE],
        database,
        cp.auth,
        email=body.email,
        address=client_address(request, cp.auth.forwarded_for_hops),
        attempt=attempt,
    )


async def redeem_link(request: web.Request, token: str) -> TokenResponse | None:
    """Exchange a one-time sign-in link's refresh token for a new one (rotation: a replayed
    link is refused, and revokes the login it came from)."""
    app = request.app
    async with app[app_keys.DATABASE].transaction() as session:
        outcome = await sessions.refresh(session, app[app_keys.SETTINGS].control_plane, token)
    return outcome if isinstance(outcome, TokenResponse) else None


async def sign_out(request: web.Request) -> None:
    token = request.cookies.get(COOKIE)
    if token:
        async with request.app[app_keys.DATABASE].transaction() as session:
            await sessions.logout(session, token)


def set_cookie(request: web.Request, response: web.StreamResponse, token: str) -> None:
    response.set_cookie(
        COOKIE,
        token,
        httponly=True,
        samesite="Lax",
        secure=is_https(request),
        path="/",
        max_age=request.app[app_keys.SETTINGS].control_plane.refresh_token_ttl_seconds,
    )


def clear_cookie(response: web.StreamResponse) -> None:
    response.del_cookie(COOKIE, path="/")


def is_https(request: web.Request) -> bool:
    # Behind a TLS-terminating ingress the request arrives as http with X-Forwarded-Proto.
    forwarded = request.headers.get("X-Forwarded-Proto", "").split(",")[0].strip().lower()
    return request.secure or forwarded == "https"


async def current_principal(request: web.Request) -> Principal | None:
    """The signed-in user, re-read from the store on every request (a removed member or a
    revoked login loses the console at once); None when there is no valid session."""
    if _PRINCIPAL in request:
        return request[_PRINCIPAL]
    token = request.cookies.get(COOKIE, "")
    if not token.startswith(REFRESH_PREFIX) or len(token) > 200:
        return None
    token_hash = hash_refresh_token(token)
    async with request.app[app_keys.DATABASE].transaction() as session:
        org_id = await hashed_tokens.find_token_org(session, RefreshToken, token_hash)
        if org_id is None:
            return None
        await set_current_org(session, org_id)
        # No row lock: every console page checks its session token.
        stored = await hashed_tokens.get_token_by_hash(
            session, RefreshToken, org_id, token_hash, lock=False
        )
        if stored is None or stored.revoked_at is not None or stored.rotated_at is not None:
            return None
        if stored.expires_at <= utcnow():
            return None
        member = await members.get_member_for_user(session, org_id, stored.user_id)
        user = await users.get_user(session, stored.user_id) if member else None
        org = await orgs.get_org(session, org_id)
    if member is None or user is None or org is None:
        return None
    request[ORG_VIEW] = (org.name, org.timezone)
    principal = Principal.of_member(org_id, user, member)
    request[_PRINCIPAL] = principal
    return principal


def ensure_presession(request: web.Request, response: web.StreamResponse) -> None:
    """Give a visitor without a session the random cookie their sign-in form is bound to."""
    if not request.cookies.get(PRE_COOKIE) and not request.cookies.get(COOKIE):
        value = secrets.token_urlsafe(24)
        request[_PRESESSION] = value
        response.set_cookie(
            PRE_COOKIE, value, httponly=True, samesite="Lax", secure=is_https(request), path="/"
        )


def csrf_token(request: web.Request) -> str:
    """The token forms must echo; empty when the request carries nothing to bind it to."""
    token = request.cookies.get(COOKIE) or request.cookies.get(PRE_COOKIE)
    token = token or request.get(_PRESESSION, "")
    if not token:
        return ""
    secret = request.app[app_keys.SETTINGS].control_plane.secret_key.get_secret_value()
    key = hashlib.sha256(b"agentops-console-csrf\x00" + secret.encode()).digest()
    return hmac.new(key, token.encode(), hashlib.sha256).hexdigest()


async def csrf_ok(request: web.Request) -> bool:
    presented = request.headers.get(CSRF_HEADER)
    if presented is None:
        form = await request.post()
        field = form.get(CSRF_FIELD)
        presented = field if isinstance(field, str) else ""
    expected = csrf_token(request)
    return bool(expected) and hmac.compare_digest(presented, expected)
