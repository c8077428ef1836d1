"""Agent names in records → registry rows, registering unknown agents where the org allows it.

Only the embedded/default org (the one ``proxy.default_org`` names) registers unknown agents
on first sight: that is what a laptop or a single-tenant sidecar needs when a new workload
appears. Any other org must register its agents first (API or CLI); a record for an unknown
agent is rejected with a reason, so nobody can grow an org's registry with an ingest key.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from control_plane.store.calls import dialect_insert
from control_plane.store.tables import Agent, utcnow

AUTO_DESCRIPTION = "registered automatically when its first call was ingested"


@dataclass(frozen=True, slots=True)
class AgentRef:
    id: uuid.UUID
    team_id: uuid.UUID | None


async def resolve_agents(
    session: AsyncSession, org_id: uuid.UUID, names: Iterable[str], *, register: bool
) -> dict[str, AgentRef]:
    wanted = set(names)
    found = await _load(session, org_id, wanted)
    missing = wanted - found.keys()
    if missing and register:
        now = utcnow()
        rows = [
            {"id": uuid.uuid4(), "org_id": org_id, "name": name, "description": AUTO_DESCRIPTION,
             "tags": {}, "config": {}, "status": "active", "created_at": now, "updated_at": now}
            for name in sorted(missing)
        ]  # fmt: skip
        # ON CONFLICT: a concurrent batch may register the same agent first.
        table = Agent.__table__
        stmt = dialect_insert(session, table).on_conflict_do_nothing(  # type: ignore[arg-type]
            index_elements=["org_id", "name"]
        )
        await session.execute(stmt, rows)
        found |= await _load(session, org_id, missing)
    return found


async def _load(session: AsyncSession, org_id: uuid.UUID, names: set[str]) -> dict[str, AgentRef]:
    if not names:
        return {}
    stmt = select(Agent.name, Agent.id, Agent.team_id).where(
        Agent.org_id == org_id, Agent.name.in_(names)
    )
    return {row.name: AgentRef(row.id, row.team_id) for row in await session.execute(stmt)}
