"""Store functions for invitation and password-reset tokens (looked up by hash only)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import TypedDict, Unpack

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from control_plane.store.rows import add_row, find_owning_org, find_row
from control_plane.store.tables import AccountToken


class AccountTokenFields(TypedDict):
    """What create_account_token is given besides the org (every key required)."""

    user_id: uuid.UUID
    purpose: str
    token_hash: str
    expires_at: datetime


async def create_account_token(
    session: AsyncSession, *, org_id: uuid.UUID, **fields: Unpack[AccountTokenFields]
) -> AccountToken:
    return await add_row(session, AccountToken(org_id=org_id, **fields))


async def find_account_token_org(session: AsyncSession, token_hash: str) -> uuid.UUID | None:
    """Pre-org lookup (accepting an invitation carries only the token): its org."""
    org_of = (AccountToken.org_id, AccountToken.token_hash)
    return await find_owning_org(session, "agentops_account_token_org", *org_of, token_hash)


async def get_account_token_by_hash(
    session: AsyncSession, org_id: uuid.UUID, token_hash: str
) -> AccountToken | None:
    match = (AccountToken.org_id == org_id, AccountToken.token_hash == token_hash)
    return await find_row(session, AccountToken, *match, lock=True)


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
