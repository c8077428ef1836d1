"""Agent names in records → registry rows, registering unknown agents where the org allows it.

An org with ``auto_register_agents`` (the default) registers an agent name on its first record:
the proxy already answered that call under a valid key of the org, and a call answered must be
stored and counted, never dropped. Each registration is audited (actor: the ingest). An org
that turns the setting off has its proxies refuse unknown names before forwarding, so a record
for an unknown agent there is rejected with a reason.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from control_plane.store.audit import create_audit_log
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
        await _register(session, org_id, missing)
        found |= await _load(session, org_id, missing)
    return found


async def _register(session: AsyncSession, org_id: uuid.UUID, missing: set[str]) -> None:
    """Insert the missing names, and audit those this transaction inserted (not a name a
    concurrent batch registered first)."""
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
    ours = {row["name"]: row["id"] for row in rows}
    created = await _load(session, org_id, missing)
    for name, ref in sorted(created.items()):
        if ref.id != ours[name]:
            continue
        await create_audit_log(
            session, org_id=org_id, actor_type="system", actor_id=None,
            actor_label="ingest: first call of a new agent name", action="agent.create",
            entity_type="agent", entity_id=str(ref.id),
            before=None, after={"name": name, "description": AUTO_DESCRIPTION},
            request_id=None,
        )  # fmt: skip


async def _load(session: AsyncSession, org_id: uuid.UUID, names: set[str]) -> dict[str, AgentRef]:
    if not names:
        return {}
    stmt = select(Agent.name, Agent.id, Agent.team_id).where(
        Agent.org_id == org_id, Agent.name.in_(names)
    )
    return {row.name: AgentRef(row.id, row.team_id) for row in await session.execute(stmt)}
