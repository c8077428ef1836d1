"""Labels by id (agent names, team names, run ids as sent) for rows that carry only the ids:
one query per kind of label, scoped by org."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute


async def labels_by_id(
    session: AsyncSession,
    label: InstrumentedAttribute[str],
    key: InstrumentedAttribute[uuid.UUID],
    org: InstrumentedAttribute[uuid.UUID],
    org_id: uuid.UUID,
    ids: set[uuid.UUID],
) -> dict[uuid.UUID, str]:
    if not ids:
        return {}
    stmt = select(key, label).where(org == org_id, key.in_(ids))
    return {row[0]: row[1] for row in await session.execute(stmt)}
