"""Setting a password: changing it while signed in, or with a single-use account token.

Account tokens (``aoa_…``) carry an invitation or a password reset. They are 256 random bits,
stored as a SHA-256, expire, and are spent by their first use; an unknown, expired or spent
token is refused with a code that says which. Any password change or reset records
``credentials_changed_at``, which ends every token issued before it (authentication compares),
and revokes the user's logins in the org, so a stolen session does not survive a reset.
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
from datetime import UTC, datetime, timedelta

from agentops.ids import uuid7
from agentops.settings import ControlPlaneSettings
from control_plane.auth.passwords import Passwords
from control_plane.auth.principal import Principal
from control_plane.errors import ApiError, BadRequestError, ConflictError, UnauthorizedError
from control_plane.schemas.auth import TokenResponse
from control_plane.services import sessions
from control_plane.store import account_tokens, hashed_tokens, members, orgs, refresh_tokens, users
from control_plane.store.engine import set_current_org
from control_plane.store.tables import AccountToken, User, utcnow
from control_plane.store.types import AsyncSession

TOKEN_PREFIX = "aoa_"
# Tokens that an admin sees when they are issued (an invitation, an admin's reset).
SHOWN_TO_ADMINS = ("invite", "admin_reset")


class TokenRefusedError(ApiError, status=400, code="invalid_account_token"): ...


def new_account_token() -> tuple[str, str]:
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    return token, hash_account_token(token)


def hash_account_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def issue_account_token(
    session: AsyncSession, org_id: uuid.UUID, user_id: uuid.UUID, purpose: str, ttl_seconds: int
) -> tuple[str, datetime]:
    """A new token for ``purpose``; earlier unspent ones of the same purpose stop working."""
    token, token_hash = new_account_token()
    now = utcnow()
    await account_tokens.spend_user_tokens(session, org_id, user_id, purpose, now)
    expires_at = now + timedelta(seconds=ttl_seconds)
    await account_tokens.create_account_token(
        session,
        org_id=org_id,
        user_id=user_id,
        purpose=purpose,
        token_hash=token_hash,
        expires_at=expires_at,
    )
    return token, expires_at


async def redeem(
    session: AsyncSession,
    passwords: Passwords,
    cp: ControlPlaneSettings,
    presented: str,
    purposes: tuple[str, ...],
    password: str,
) -> TokenResponse:
    """Spend the token, set the password, end older sessions, and sign the person in."""
    token = await _usable_token(session, presented, purposes)
    user = await users.get_user(session, token.user_id)
    member = await members.get_member_for_user(session, token.org_id, token.user_id)
    org = await orgs.get_org(session, token.org_id)
    if user is None or member is None or org is None:
        raise TokenRefusedError(
            "this token's user is no longer a member of the org", code="account_token_orphaned"
        )
    if token.purpose == "invite" and user.password_hash is not None:
        raise ConflictError(
            f"{user.email} already has a password; log in with org {org.slug}",
            code="already_has_password",
        )
    if token.purpose in SHOWN_TO_ADMINS:
        await check_sole_org(session, user.email, token.org_id)
    now = utcnow()
    token.used_at = now
    await _set_password(session, passwords, user, token.org_id, password)
    identity = sessions.Identity(user.id, token.org_id, org.slug, member.role)
    return await sessions.issue(session, cp, identity, family_id=uuid7())


async def change_password(
    session: AsyncSession,
    passwords: Passwords,
    cp: ControlPlaneSettings,
    principal: Principal,
    current: str,
    new: str,
) -> TokenResponse:
    if principal.kind != "user" or principal.user_id is None:
        raise BadRequestError("only a signed-in user has a password", code="not_a_user")
    user = await users.get_user(session, principal.user_id)
    assert user is not None, "an authenticated user is visible in its org"
    if not await passwords.verify(user.password_hash, current):
        raise UnauthorizedError("current password is wrong", code="invalid_credentials")
    await _set_password(session, passwords, user, principal.org_id, new)
    org = await orgs.get_org(session, principal.org_id)
    assert org is not None
    assert principal.role is not None
    identity = sessions.Identity(user.id, principal.org_id, org.slug, principal.role)
    return await sessions.issue(session, cp, identity, family_id=uuid7())


async def _set_password(
    session: AsyncSession, passwords: Passwords, user: User, org_id: uuid.UUID, password: str
) -> None:
    user.password_hash = await passwords.hash(password)
    # Millisecond precision, like the tokens' iat_ms: a token issued after this is not older.
    now = utcnow()
    changed = datetime.fromtimestamp(int(now.timestamp() * 1000) / 1000, UTC)
    user.credentials_changed_at = changed
    await refresh_tokens.revoke_user_sessions(session, org_id, user.id, now)
    await session.flush()


async def check_sole_org(session: AsyncSession, email: str, org_id: uuid.UUID) -> None:
    """A token an admin has seen may set the password only of someone in that admin's org
    alone: the password is global, and must not open another org's door to that admin."""
    orgs_of_user = {c.org_id for c in await users.list_login_candidates(session, email)}
    if orgs_of_user - {org_id}:
        raise ConflictError(
            f"{email} is also a member of another org, so an admin of this one cannot set "
            "their password; they reset it by e-mail (POST /auth/request-password-reset)",
            code="member_of_other_orgs",
        )


async def _usable_token(
    session: AsyncSession, presented: str, purposes: tuple[str, ...]
) -> AccountToken:
    purpose = purposes[0]
    token_hash = hash_account_token(presented)
    org_id = await hashed_tokens.find_token_org(session, AccountToken, token_hash)
    token = None
    if org_id is not None:
        await set_current_org(session, org_id)
        token = await hashed_tokens.get_token_by_hash(session, AccountToken, org_id, token_hash)
    if token is None or token.purpose not in purposes:
        raise TokenRefusedError(
            f"this {_label(purpose)} token is not valid; ask for a new one",
            code="invalid_account_token",
        )
    if token.used_at is not None:
        raise TokenRefusedError(
            f"this {_label(purpose)} token was already used; ask for a new one",
            code="account_token_used",
        )
    if token.expires_at <= utcnow():
        raise TokenRefusedError(
            f"this {_label(purpose)} token expired at {token.expires_at.isoformat()}; "
            "ask for a new one",
            code="account_token_expired",
        )
    return token


def _label(purpose: str) -> str:
    return "invitation" if purpose == "invite" else "password-reset"
