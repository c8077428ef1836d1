"""Login sessions: signup, login, refresh-token rotation with reuse detection, logout.

The handler owns the transaction and passes it in. These functions run before the caller's
org is known, so each one finds the org first (pre-org lookups) and then scopes the
transaction to it with ``set_current_org``.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import timedelta

from agentops.ids import uuid7
from agentops.logs import request_id_var
from agentops.settings import ControlPlaneSettings
from control_plane.auth.passwords import Passwords
from control_plane.auth.tokens import hash_refresh_token, issue_access_token, new_refresh_token
from control_plane.errors import ApiError, ConflictError, UnauthorizedError
from control_plane.schemas.auth import LoginRequest, SignupRequest, TokenResponse
from control_plane.schemas.common import from_row
from control_plane.store import hashed_tokens, members, orgs, refresh_tokens, users
from control_plane.store.audit import create_audit_log
from control_plane.store.engine import set_current_org
from control_plane.store.errors import IntegrityError
from control_plane.store.tables import RefreshToken, utcnow
from control_plane.store.types import AsyncSession

_INVALID_LOGIN = "invalid e-mail or password"


@dataclass(frozen=True)
class Identity:
    user_id: uuid.UUID
    org_id: uuid.UUID
    org_slug: str
    role: str


SIGNUP_ANSWER = (
    "if this e-mail address had no account (or its password matched), the org is created "
    "and you are its owner: log in with POST /auth/login"
)


async def signup(
    session: AsyncSession, passwords: Passwords, cp: ControlPlaneSettings, body: SignupRequest
) -> None:
    """Create the org, and the user unless the address has one already.

    The caller always gets the same answer (``SIGNUP_ANSWER``), so signup does not tell who
    has an account. A new address costs one hash; a known one costs one verification: the
    org is created for that user only when the password matches theirs (a second org for the
    same person), otherwise nothing is created.
    """
    candidates = await users.list_login_candidates(session, body.email)
    existing = candidates[0].user_id if candidates else None
    existing = existing or await users.find_user_id_by_email(session, body.email)
    if existing is None:
        password_hash: str | None = await passwords.hash(body.password)
        proven = True
    else:
        password_hash = None
        stored = candidates[0].password_hash if candidates else None
        proven = await passwords.verify(stored, body.password)
    slug = body.org_slug or _slugify(body.org_name)
    org_id = uuid7()
    # The org does not exist yet; scoping to its id first lets RLS accept the inserts.
    await set_current_org(session, org_id)
    attempt = await session.begin_nested()
    try:
        await orgs.create_org(
            session, org_id=org_id, slug=slug, name=body.org_name, timezone=cp.timezone
        )
    except IntegrityError:
        raise ConflictError(
            f"org slug {slug!r} is taken; choose another org_slug", code="slug_taken"
        ) from None
    if not proven:
        await attempt.rollback()
        return
    try:
        user_id = (
            existing
            or (
                await users.create_user(
                    session,
                    email=body.email,
                    password_hash=password_hash,
                    display_name=body.display_name,
                )
            ).id
        )
    except IntegrityError:  # the same address signed up concurrently: it is not ours
        await attempt.rollback()
        return
    await members.create_member(session, org_id=org_id, user_id=user_id, role="owner")
    await create_audit_log(
        session,
        org_id=org_id,
        actor_type="user",
        actor_id=str(user_id),
        actor_label=body.email.lower(),
        action="org.create",
        entity_type="organization",
        entity_id=str(org_id),
        before=None,
        after={"slug": slug, "name": body.org_name, "owner": body.email.lower()},
        request_id=request_id_var.get(),
    )
    await attempt.commit()


async def login(
    session: AsyncSession, passwords: Passwords, cp: ControlPlaneSettings, body: LoginRequest
) -> TokenResponse:
    candidates = await users.list_login_candidates(session, body.email)
    if body.org is not None:
        candidates = [c for c in candidates if c.org_slug == body.org]
    stored_hash = candidates[0].password_hash if candidates else None
    # Verified even when there is no candidate, so a missing account costs the same time.
    if not await passwords.verify(stored_hash, body.password) or not candidates:
        raise UnauthorizedError(_INVALID_LOGIN, code="invalid_credentials")
    chosen = candidates[0]
    await set_current_org(session, chosen.org_id)
    member = await members.get_member_for_user(session, chosen.org_id, chosen.user_id)
    if member is None:
        raise UnauthorizedError(_INVALID_LOGIN, code="invalid_credentials")
    identity = Identity(chosen.user_id, chosen.org_id, chosen.org_slug, member.role)
    return await issue(session, cp, identity, family_id=uuid7())


async def refresh(
    session: AsyncSession, cp: ControlPlaneSettings, presented: str
) -> TokenResponse | ApiError:
    """Rotate a refresh token. Errors are returned, not raised, when the transaction must
    still commit (reuse detection revokes the whole family before answering 401)."""
    token_hash = hash_refresh_token(presented)
    org_id = await hashed_tokens.find_token_org(session, RefreshToken, token_hash)
    if org_id is None:
        return UnauthorizedError("refresh token is not valid", code="invalid_refresh_token")
    await set_current_org(session, org_id)
    token = await hashed_tokens.get_token_by_hash(session, RefreshToken, org_id, token_hash)
    if token is None:
        return UnauthorizedError("refresh token is not valid", code="invalid_refresh_token")
    now = utcnow()
    if token.revoked_at is not None:
        return UnauthorizedError(
            "refresh token was revoked; log in again", code="refresh_token_revoked"
        )
    if token.rotated_at is not None:
        # Someone replayed a token that was already exchanged: either the client or a thief
        # holds a stale copy. Revoke every token of this login so both must log in again.
        await refresh_tokens.revoke_refresh_token_family(session, org_id, token.family_id, now)
        return UnauthorizedError(
            "refresh token was already used; every session of this login is revoked",
            code="refresh_token_reused",
        )
    if token.expires_at <= now:
        return UnauthorizedError(
            "refresh token has expired; log in again", code="refresh_token_expired"
        )
    member = await members.get_member_for_user(session, org_id, token.user_id)
    org = await orgs.get_org(session, org_id)
    user = await users.get_user(session, token.user_id) if member else None
    if member is None or org is None or user is None:
        return UnauthorizedError("this user is no longer a member of the org", code="not_a_member")
    changed = user.credentials_changed_at
    if changed is not None and token.created_at < changed:
        return UnauthorizedError(
            "the password was changed since this login; log in again",
            code="refresh_token_revoked",
        )
    await refresh_tokens.update_refresh_token_rotated(session, token, now)
    identity = Identity(token.user_id, org_id, org.slug, member.role)
    return await issue(session, cp, identity, family_id=token.family_id)


async def logout(session: AsyncSession, presented: str) -> None:
    """Revoke the login the refresh token belongs to (idempotent; unknown tokens are ignored)."""
    token_hash = hash_refresh_token(presented)
    org_id = await hashed_tokens.find_token_org(session, RefreshToken, token_hash)
    if org_id is None:
        return
    await set_current_org(session, org_id)
    token = await hashed_tokens.get_token_by_hash(session, RefreshToken, org_id, token_hash)
    if token is not None:
        await refresh_tokens.revoke_refresh_token_family(session, org_id, token.family_id, utcnow())


async def issue(
    session: AsyncSession, cp: ControlPlaneSettings, who: Identity, *, family_id: uuid.UUID
) -> TokenResponse:
    now = utcnow()
    access, expires_at = issue_access_token(
        cp.secret_key.get_secret_value(),
        user_id=who.user_id,
        org_id=who.org_id,
        session_id=family_id,
        ttl_seconds=cp.access_token_ttl_seconds,
        now=now,
    )
    refresh_token, refresh_hash = new_refresh_token()
    await refresh_tokens.create_refresh_token(
        session,
        org_id=who.org_id,
        user_id=who.user_id,
        family_id=family_id,
        token_hash=refresh_hash,
        expires_at=now + timedelta(seconds=cp.refresh_token_ttl_seconds),
    )
    return from_row(
        TokenResponse, who, access_token=access, expires_at=expires_at, refresh_token=refresh_token
    )


def _slugify(name: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")[:63].strip("-")
    return slug if len(slug) >= 2 else f"org-{uuid7().hex[-8:]}"
