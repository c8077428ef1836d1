"""Store functions for invitation and password-reset tokens (looked up by hash only)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Unpack

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from control_plane.store.hashed_tokens import HashedTokenFields
from control_plane.store.rows import add_row
from control_plane.store.tables import AccountToken


class AccountTokenFields(HashedTokenFields):
    """What create_account_token is given besides the org (every key required)."""

    purpose: str


async def create_account_token(
    session: AsyncSession, *, org_id: uuid.UUID, **fields: Unpack[AccountTokenFields]
) -> AccountToken:
    return await add_row(session, AccountToken(org_id=org_id, **fields))


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
