"""Store functions for invitation and password-reset tokens (looked up by hash only)."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from control_plane.store.tables import AccountToken


async def create_account_token(
    session: AsyncSession,
    *,
    org_id: uuid.UUID,
    user_id: uuid.UUID,
    purpose: str,
    token_hash: str,
    expires_at: datetime,
) -> AccountToken:
    token = AccountToken(
        org_id=org_id,
        user_id=user_id,
        purpose=purpose,
        token_hash=token_hash,
        expires_at=expires_at,
    )
    session.add(token)
    await session.flush()
    return token


async def find_account_token_org(session: AsyncSession, token_hash: str) -> uuid.UUID | None:
    """Pre-org lookup (accepting an invitation carries only the token): its org."""
    if session.get_bind().dialect.name == "postgresql":
        stmt = select(func.agentops_account_token_org(token_hash, type_=AccountToken.org_id.type))
    else:
        stmt = select(AccountToken.org_id).where(AccountToken.token_hash == token_hash)
    return (await session.execute(stmt)).scalar_one_or_none()


async def get_account_token_by_hash(
    session: AsyncSession, org_id: uuid.UUID, token_hash: str
) -> AccountToken | None:
    stmt = (
        select(AccountToken)
        .where(AccountToken.org_id == org_id, AccountToken.token_hash == token_hash)
        .with_for_update()
    )
    return (await session.execute(stmt)).scalar_one_or_none()


async def spend_user_tokens(
    session: AsyncSession, org_id: uuid.UUID, user_id: uuid.UUID, purpose: str, when: datetime
) -> None:
    """Mark every unspent token of ``purpose`` for the user as used (a newer one replaces it)."""
    await session.execute(
        update(AccountToken)
        .where(
            AccountToken.org_id == org_id,
            AccountToken.user_id == user_id,
            AccountToken.purpose == purpose,
            AccountToken.used_at.is_(None),
        )
        .values(used_at=when)
    )
