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

from control_plane.store import agents
from control_plane.store.agents import AgentRef
from control_plane.store.audit import create_audit_log
from control_plane.store.tables import utcnow
from control_plane.store.types import AsyncSession

AUTO_DESCRIPTION = "registered automatically when its first call was ingested"


async def resolve_agents(
    session: AsyncSession, org_id: uuid.UUID, names: Iterable[str], *, register: bool
) -> dict[str, AgentRef]:
    wanted = set(names)
    found = await agents.get_agent_refs(session, org_id, wanted)
    missing = wanted - found.keys()
    if missing and register:
        await _register(session, org_id, missing)
        found |= await agents.get_agent_refs(session, org_id, missing)
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
    await agents.insert_agents_if_absent(session, rows)
    ours = {row["name"]: row["id"] for row in rows}
    created = await agents.get_agent_refs(session, org_id, missing)
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
