"""Store functions for rotating refresh tokens (looked up by hash, never by the token)."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from control_plane.store.tables import RefreshToken


async def create_refresh_token(
    session: AsyncSession,
    *,
    org_id: uuid.UUID,
    user_id: uuid.UUID,
    family_id: uuid.UUID,
    token_hash: str,
    expires_at: datetime,
) -> RefreshToken:
    token = RefreshToken(
        org_id=org_id,
        user_id=user_id,
        family_id=family_id,
        token_hash=token_hash,
        expires_at=expires_at,
    )
    session.add(token)
    await session.flush()
    return token


async def find_refresh_token_org(session: AsyncSession, token_hash: str) -> uuid.UUID | None:
    """Pre-org lookup (refresh and logout carry only the token): the org it belongs to."""
    if session.get_bind().dialect.name == "postgresql":
        stmt = select(func.agentops_refresh_token_org(token_hash, type_=RefreshToken.org_id.type))
    else:
        stmt = select(RefreshToken.org_id).where(RefreshToken.token_hash == token_hash)
    return (await session.execute(stmt)).scalar_one_or_none()


async def get_refresh_token_by_hash(
    session: AsyncSession, org_id: uuid.UUID, token_hash: str
) -> RefreshToken | None:
    stmt = (
        select(RefreshToken)
        .where(RefreshToken.org_id == org_id, RefreshToken.token_hash == token_hash)
        .with_for_update()
    )
    return (await session.execute(stmt)).scalar_one_or_none()


async def update_refresh_token_rotated(
    session: AsyncSession, token: RefreshToken, when: datetime
) -> None:
    token.rotated_at = when
    await session.flush()


async def revoke_refresh_token_family(
    session: AsyncSession, org_id: uuid.UUID, family_id: uuid.UUID, when: datetime
) -> None:
    await session.execute(
        update(RefreshToken)
        .where(
            RefreshToken.org_id == org_id,
            RefreshToken.family_id == family_id,
            RefreshToken.revoked_at.is_(None),
        )
        .values(revoked_at=when)
    )


async def is_session_revoked(
    session: AsyncSession, org_id: uuid.UUID, family_id: uuid.UUID
) -> bool:
    """Whether the login (refresh-token family) was revoked: logout, reuse, removal."""
    stmt = select(
        select(RefreshToken.id)
        .where(
            RefreshToken.org_id == org_id,
            RefreshToken.family_id == family_id,
            RefreshToken.revoked_at.is_not(None),
        )
        .exists()
    )
    return bool((await session.execute(stmt)).scalar_one())


async def revoke_user_sessions(
    session: AsyncSession, org_id: uuid.UUID, user_id: uuid.UUID, when: datetime
) -> None:
    """Revoke every login of ``user_id`` in ``org_id`` (member removal, password change)."""
    await session.execute(
        update(RefreshToken)
        .where(
            RefreshToken.org_id == org_id,
            RefreshToken.user_id == user_id,
            RefreshToken.revoked_at.is_(None),
        )
        .values(revoked_at=when)
    )


async def get_refresh_token(
    session: AsyncSession, org_id: uuid.UUID, token_hash: str
) -> RefreshToken | None:
    """A read without a row lock: the console checks its session token on every page."""
    stmt = select(RefreshToken).where(
        RefreshToken.org_id == org_id, RefreshToken.token_hash == token_hash
    )
    return (await session.execute(stmt)).scalar_one_or_none()
