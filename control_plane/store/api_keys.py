"""Store functions for API keys, including the pre-org lookup of a key's org."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from control_plane.store.pagination import Page, make_page, page_query
from control_plane.store.tables import Agent, ApiKey


async def create_api_key(
    session: AsyncSession,
    *,
    org_id: uuid.UUID,
    name: str,
    public_id: str,
    secret_hash: str,
    scopes: list[str],
    agent_id: uuid.UUID | None,
    created_by: uuid.UUID | None,
    expires_at: datetime | None,
) -> ApiKey:
    key = ApiKey(
        org_id=org_id,
        name=name,
        public_id=public_id,
        secret_hash=secret_hash,
        scopes=scopes,
        agent_id=agent_id,
        created_by=created_by,
        expires_at=expires_at,
    )
    session.add(key)
    await session.flush()
    return key


async def find_api_key_org(session: AsyncSession, public_id: str) -> uuid.UUID | None:
    """Pre-org lookup: which org owns the key with this public id.

    A key is presented before the org is known; on PostgreSQL the SECURITY DEFINER function
    answers this one question across orgs, then the key itself is read under RLS.
    """
    if session.get_bind().dialect.name == "postgresql":
        stmt = select(func.agentops_api_key_org(public_id, type_=ApiKey.org_id.type))
    else:
        stmt = select(ApiKey.org_id).where(ApiKey.public_id == public_id)
    return (await session.execute(stmt)).scalar_one_or_none()


async def get_api_key_by_public_id(
    session: AsyncSession, org_id: uuid.UUID, public_id: str
) -> ApiKey | None:
    stmt = select(ApiKey).where(ApiKey.org_id == org_id, ApiKey.public_id == public_id)
    return (await session.execute(stmt)).scalar_one_or_none()


async def get_api_key(session: AsyncSession, org_id: uuid.UUID, key_id: uuid.UUID) -> ApiKey | None:
    stmt = select(ApiKey).where(ApiKey.org_id == org_id, ApiKey.id == key_id)
    return (await session.execute(stmt)).scalar_one_or_none()


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
    rows = (await session.execute(page_query(stmt, ApiKey.id, cursor, limit))).scalars().all()
    return make_page(rows, limit, lambda key: key.id)


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
