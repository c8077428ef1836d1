"""Store functions for API keys, including the pre-org lookup of a key's org."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import TypedDict, Unpack

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from control_plane.store.pagination import Page
from control_plane.store.rows import add_row, find_owning_org, find_row, get_org_row, list_page
from control_plane.store.tables import Agent, ApiKey


class ApiKeyFields(TypedDict):
    """What create_api_key is given besides the org (every key required)."""

    name: str
    public_id: str
    secret_hash: str
    scopes: list[str]
    agent_id: uuid.UUID | None
    created_by: uuid.UUID | None
    expires_at: datetime | None


async def create_api_key(
    session: AsyncSession, *, org_id: uuid.UUID, **fields: Unpack[ApiKeyFields]
) -> ApiKey:
    return await add_row(session, ApiKey(org_id=org_id, **fields))


async def find_api_key_org(session: AsyncSession, public_id: str) -> uuid.UUID | None:
    """Pre-org lookup: which org owns the key with this public id (then the key itself is read
    under RLS)."""
    org_of = (ApiKey.org_id, ApiKey.public_id)
    return await find_owning_org(session, "agentops_api_key_org", *org_of, public_id)


async def get_api_key_by_public_id(
    session: AsyncSession, org_id: uuid.UUID, public_id: str
) -> ApiKey | None:
    return await find_row(session, ApiKey, ApiKey.org_id == org_id, ApiKey.public_id == public_id)


async def get_api_key(session: AsyncSession, org_id: uuid.UUID, key_id: uuid.UUID) -> ApiKey | None:
    return await get_org_row(session, ApiKey, org_id, key_id)


async def list_api_keys(
    session: AsyncSession,
    org_id: uuid.UUID,
    *,
    include_revoked: bool = False,
    cursor: str | None = None,
    limit: int = 50,
) -> Page[ApiKey]:
    stmt = select(ApiKey).where(ApiKey.org_id == org_id)
    if not include_revoked:
        stmt = stmt.where(ApiKey.revoked_at.is_(None))
    return await list_page(session, stmt, ApiKey.id, cursor, limit)


async def list_live_api_keys_with_agent(
    session: AsyncSession, org_id: uuid.UUID
) -> list[tuple[ApiKey, str | None]]:
    """Every unrevoked key of the org with the name of the agent it is bound to (if any)."""
    stmt = (
        select(ApiKey, Agent.name)
        .outerjoin(Agent, Agent.id == ApiKey.agent_id)
        .where(ApiKey.org_id == org_id, ApiKey.revoked_at.is_(None))
        .order_by(ApiKey.id)
    )
    return [(row[0], row[1]) for row in await session.execute(stmt)]


async def update_api_key_last_used(session: AsyncSession, key: ApiKey, when: datetime) -> None:
    key.last_used_at = when
    await session.flush()


async def revoke_api_key(session: AsyncSession, key: ApiKey, when: datetime) -> ApiKey:
    key.revoked_at = when
    await session.flush()
    return key


async def list_api_key_public_ids(session: AsyncSession, org_id: uuid.UUID) -> list[str]:
    stmt = select(ApiKey.public_id).where(ApiKey.org_id == org_id)
    return list((await session.execute(stmt)).scalars().all())
