"""Each org's control state: built from the store, versioned in the store, published to the bus.

A change to what proxies enforce (a rule, an agent's registry entry) calls ``changed`` inside
its transaction: that bumps the org's version under a row lock and builds the snapshot the
transaction will commit. The handler publishes it after the commit. A crash in between leaves
the bus behind the store; the worker's ``republish`` job notices (store version > bus version)
and publishes the current snapshot, so the bus converges without anyone retrying by hand.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from redis.asyncio import Redis

from agentops.statebus import (
    MemoryStateBus,
    RedisKeyDirectory,
    RedisRunCounters,
    RedisStatePublisher,
    RedisStateReader,
    RunCounters,
    StatePublisher,
    StateReader,
)
from agentops.statebus.approvals import RedisVerdictPublisher, VerdictPublisher
from agentops.statebus.directory import KeyDirectory
from agentops.wire.control import BudgetRule, ControlRule, ControlSnapshot
from control_plane.schemas.common import from_row
from control_plane.services.budgets import budget_rules
from control_plane.services.key_directory import republish_org_keys
from control_plane.store import agents, control_rules, orgs, policies, teams
from control_plane.store.engine import Database
from control_plane.store.tables import ControlRule as RuleRow
from control_plane.store.tables import utcnow
from control_plane.store.types import AsyncSession

log = logging.getLogger(__name__)

# An admin's resume waits this long for the run counters, then answers 503.
RUN_COUNTERS_TIMEOUT_SECONDS = 2.0

BudgetSource = Callable[[AsyncSession, uuid.UUID], Awaitable[list[BudgetRule]]]


@dataclass(frozen=True)
class ControlStateBus:
    """Where snapshots and the key directory go: Redis, or the in-process bus (``memory``) the
    embedded proxy reads."""

    publisher: StatePublisher
    reader: StateReader
    directory: KeyDirectory
    memory: MemoryStateBus | None = None
    verdicts: VerdictPublisher | None = None  # approval verdicts to the proxies
    runs: RunCounters | None = None  # the proxies' run counters (lifting a run's pause)
    # Hard budgets are part of every snapshot, whichever path builds it (an API change, the
    # worker's republish, an auto-pause): a snapshot without them would switch budgets off.
    budgets: BudgetSource = budget_rules


async def changed(
    session: AsyncSession, org_id: uuid.UUID, budgets: BudgetSource = budget_rules
) -> ControlSnapshot:
    """Bump the org's version and build its snapshot, both inside the caller's transaction."""
    version = await control_rules.increment_version(session, org_id)
    return await build_snapshot(session, org_id, version, budgets)


async def build_snapshot(
    session: AsyncSession, org_id: uuid.UUID, version: int, budgets: BudgetSource = budget_rules
) -> ControlSnapshot:
    org = await orgs.get_org(session, org_id)
    if org is None:
        raise LookupError(f"no such org: {org_id}")
    rules = await control_rules.list_rules_in_force(session, org_id)
    return ControlSnapshot(
        org=org.slug,
        version=version,
        generated_at=utcnow(),
        rules=[wire_rule(rule) for rule in rules],
        agents=await _agents(session, org_id),
        budgets=await budgets(session, org_id),
        policies=await _policies(session, org_id),
        auto_register_agents=org.auto_register_agents,
    )


def wire_rule(rule: RuleRow) -> ControlRule:
    return from_row(ControlRule, rule, since=rule.created_at)


async def _policies(session: AsyncSession, org_id: uuid.UUID) -> list[dict[str, Any]]:
    """Enabled policies as validated documents, with their id (the refusal's reference)."""
    rows = await policies.list_enabled_policies(session, org_id)
    return [{**row.spec, "id": str(row.id), "revision": row.revision} for row in rows]


async def _agents(session: AsyncSession, org_id: uuid.UUID) -> dict[str, dict[str, Any]]:
    rows = await agents.find_agents(session, org_id)
    names = await teams.get_team_names(
        session, org_id, {row.team_id for row in rows if row.team_id is not None}
    )
    return {
        row.name: {
            "team": names.get(row.team_id) if row.team_id else None,
            "tags": row.tags,
            "environment": row.environment,
            "status": row.status,
        }
        for row in rows
    }


async def publish(bus: ControlStateBus, snapshot: ControlSnapshot) -> bool:
    """Publish after commit. A failure is logged, not raised: the change is committed, and the
    worker's republish job delivers it once the bus is reachable again."""
    try:
        return await bus.publisher.publish(snapshot)
    except Exception:
        log.exception(
            "control state publish failed; the worker will republish",
            extra={"org": snapshot.org, "version": snapshot.version},
        )
        return False


async def republish(database: Database, bus: ControlStateBus) -> None:
    """Worker job (and startup): publish every org whose snapshot or key directory on the bus
    is behind its stored version. One versions query serves both."""
    async with database.transaction() as session:
        stored = await control_rules.list_versions(session)
    snapshots = await bus.reader.versions()
    directories = await bus.directory.key_versions()
    for entry in stored:
        if entry.version > snapshots.get(entry.org_slug, -1):
            async with database.transaction(entry.org_id) as session:
                version = await control_rules.get_version(session, entry.org_id)
                snapshot = await build_snapshot(session, entry.org_id, version, bus.budgets)
            if await publish(bus, snapshot):
                log.info(
                    "control state republished", extra={"org": entry.org_slug, "version": version}
                )
        if entry.version > directories.get(entry.org_slug, -1):
            await republish_org_keys(database, bus.directory, entry.org_id)


def open_state_bus(client: Redis[bytes] | None, prefix: str) -> ControlStateBus:
    """The bus on Redis, or in process (``memory``) when there is no Redis (embedded)."""
    if client is not None:
        return ControlStateBus(
            RedisStatePublisher(client, prefix),
            RedisStateReader(client, prefix),
            RedisKeyDirectory(client, prefix),
            verdicts=RedisVerdictPublisher(client, prefix),
            runs=RedisRunCounters(client, prefix, timeout_seconds=RUN_COUNTERS_TIMEOUT_SECONDS),
        )
    memory = MemoryStateBus()
    return ControlStateBus(memory, memory, memory, memory, verdicts=memory, runs=memory.runs)
