"""The store functions the two tables of tokens looked up by hash share.

Refresh tokens (logins) and account tokens (invitations, password resets) are stored only as a
SHA-256 of the token: a presented token is hashed, its org found across orgs (the request carries
no org yet), then its row read in that org. Each table's own module creates its rows and keeps
what only it does (rotation, revocation, spending).
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import TypedDict

from sqlalchemy.ext.asyncio import AsyncSession

from control_plane.store.rows import find_owning_org, find_row
from control_plane.store.tables import AccountToken, RefreshToken

# The SECURITY DEFINER function that finds a token's org across orgs, by table.
_OWNING_ORG: dict[type[AccountToken | RefreshToken], str] = {
    AccountToken: "agentops_account_token_org",
    RefreshToken: "agentops_refresh_token_org",
}


class HashedTokenFields(TypedDict):
    """What creating either token is given besides the org and its table's own columns."""

    user_id: uuid.UUID
    token_hash: str
    expires_at: datetime


async def find_token_org(
    session: AsyncSession, model: type[AccountToken | RefreshToken], token_hash: str
) -> uuid.UUID | None:
    """Pre-org lookup (the request carries only the token): the org the token belongs to."""
    definer = _OWNING_ORG[model]
    return await find_owning_org(session, definer, model.org_id, model.token_hash, token_hash)


async def get_token_by_hash[T: (AccountToken, RefreshToken)](
    session: AsyncSession, model: type[T], org_id: uuid.UUID, token_hash: str, *, lock: bool = True
) -> T | None:
    """The org's token with ``token_hash`` (``lock``: FOR UPDATE, as redeeming it changes it)."""
    match = (model.org_id == org_id, model.token_hash == token_hash)
    return await find_row(session, model, *match, lock=lock)
