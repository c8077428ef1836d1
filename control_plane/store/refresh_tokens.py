"""Store functions for rotating refresh tokens (looked up by hash, never by the token)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Unpack

from sqlalchemy import ColumnElement, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from control_plane.store.hashed_tokens import HashedTokenFields
from control_plane.store.rows import add_row
from control_plane.store.tables import RefreshToken


class RefreshTokenFields(HashedTokenFields):
    """What create_refresh_token is given besides the org (every key required)."""

    family_id: uuid.UUID


async def create_refresh_token(
    session: AsyncSession, *, org_id: uuid.UUID, **fields: Unpack[RefreshTokenFields]
) -> RefreshToken:
    return await add_row(session, RefreshToken(org_id=org_id, **fields))


async def update_refresh_token_rotated(
    session: AsyncSession, token: RefreshToken, when: datetime
) -> None:
    token.rotated_at = when
    await session.flush()


async def revoke_refresh_token_family(
    session: AsyncSession, org_id: uuid.UUID, family_id: uuid.UUID, when: datetime
) -> None:
    await _revoke(session, when, RefreshToken.org_id == org_id, RefreshToken.family_id == family_id)


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
    await _revoke(session, when, RefreshToken.org_id == org_id, RefreshToken.user_id == user_id)


async def _revoke(session: AsyncSession, when: datetime, *where: ColumnElement[bool]) -> None:
    """Mark the unrevoked tokens that match ``where`` revoked at ``when``."""
    unrevoked = RefreshToken.revoked_at.is_(None)
    await session.execute(update(RefreshToken).where(*where, unrevoked).values(revoked_at=when))
