"""Turn ``Authorization: Bearer …`` into a Principal: an access token or an ``aoh_`` API key.

The caller's membership is read on every request rather than trusted from the token, so a
removed member or a demoted admin loses access at once, not when their token expires. The
same read checks the token's login (``sid``) against the revoked refresh-token families and its
issue time against the user's last password change: a logout, a detected refresh-token reuse,
a password change or reset ends every token of that login on every replica at the next
request, because the store every replica reads is the revocation set.
"""

from __future__ import annotations

from datetime import timedelta

from aiohttp import web

from control_plane import app_keys
from control_plane.auth.api_keys import PREFIX, parse_api_key, secret_matches
from control_plane.auth.principal import Principal, Scope
from control_plane.auth.tokens import InvalidTokenError, decode_access_token
from control_plane.errors import UnauthorizedError
from control_plane.store import api_keys, members, refresh_tokens, users
from control_plane.store.engine import set_current_org
from control_plane.store.tables import utcnow
from control_plane.store.types import AsyncSession

# last_used_at is informative, not an audit trail: writing it at most once a minute per key
# keeps a busy key from turning every read into a row update.
LAST_USED_RESOLUTION = timedelta(seconds=60)

_CHALLENGE = {"WWW-Authenticate": 'Bearer realm="agentops"'}


async def authenticate(request: web.Request) -> Principal:
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        raise _unauthorized(
            "missing credentials: send Authorization: Bearer <access token or API key>",
            "missing_credentials",
        )
    if token.startswith(PREFIX):
        return await _api_key_principal(request, token)
    return await _user_principal(request, token)


async def _user_principal(request: web.Request, token: str) -> Principal:
    secret = request.app[app_keys.SETTINGS].control_plane.secret_key.get_secret_value()
    try:
        claims = decode_access_token(secret, token)
    except InvalidTokenError as exc:
        raise _unauthorized(str(exc), "invalid_token") from None
    async with request.app[app_keys.DATABASE].transaction(claims.org_id) as session:
        member = await members.get_member_for_user(session, claims.org_id, claims.user_id)
        user = await users.get_user(session, claims.user_id) if member else None
        revoked = await refresh_tokens.is_session_revoked(session, claims.org_id, claims.session_id)
    if member is None or user is None:
        raise _unauthorized("this user is no longer a member of the org", "not_a_member")
    changed = user.credentials_changed_at
    if revoked or (changed is not None and claims.issued_at < changed):
        raise _unauthorized(
            "this login was ended (logout or password change); log in again", "session_revoked"
        )
    return Principal.of_member(claims.org_id, user, member)


async def _api_key_principal(request: web.Request, token: str) -> Principal:
    parsed = parse_api_key(token)
    if parsed is None:
        raise _unauthorized("API key is malformed", "invalid_api_key")
    public_id, secret = parsed
    async with request.app[app_keys.DATABASE].transaction() as session:
        return await _load_api_key(session, public_id, secret)


async def _load_api_key(session: AsyncSession, public_id: str, secret: str) -> Principal:
    org_id = await api_keys.find_api_key_org(session, public_id)
    if org_id is None:
        raise _unauthorized("API key is not valid", "invalid_api_key")
    await set_current_org(session, org_id)
    key = await api_keys.get_api_key_by_public_id(session, org_id, public_id)
    if key is None or not secret_matches(secret, key.secret_hash):
        raise _unauthorized("API key is not valid", "invalid_api_key")
    now = utcnow()
    if key.revoked_at is not None:
        raise _unauthorized(
            f"API key aoh_{public_id} was revoked at {key.revoked_at.isoformat()}",
            "api_key_revoked",
        )
    if key.expires_at is not None and key.expires_at <= now:
        raise _unauthorized(
            f"API key aoh_{public_id} expired at {key.expires_at.isoformat()}", "api_key_expired"
        )
    if key.last_used_at is None or now - key.last_used_at >= LAST_USED_RESOLUTION:
        await api_keys.update_api_key_last_used(session, key, now)
    scopes: frozenset[Scope] = frozenset(key.scopes)  # type: ignore[arg-type]
    return Principal(
        kind="api_key",
        org_id=org_id,
        api_key_id=key.id,
        api_key_name=key.name,
        scopes=scopes,
        agent_id=key.agent_id,
    )


def _unauthorized(message: str, code: str) -> UnauthorizedError:
    return UnauthorizedError(message, code=code, headers=_CHALLENGE)
