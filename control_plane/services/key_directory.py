"""The key directory proxies verify credentials against, published from the store.

An org's entries are published whole at its control-state version. Creating or revoking a key
is a control-state change (it bumps the version, see ``api/api_keys.py``), so every org with
keys is known to ``list_versions`` and a directory behind the store is visible: the worker's
``republish`` job (``services/control_state.py``), which also runs once at startup,
publishes every org whose directory version lags its stored version. That covers a publish lost to a crash or a Redis outage, and
changes that alter a key's entry without touching the key (an agent renamed or deleted).
"""

from __future__ import annotations

import logging
import uuid

from agentops.statebus import PROXY_SCOPE, KeyEntry
from agentops.statebus.directory import KeyDirectoryPublisher
from control_plane.store import api_keys, control_rules, orgs
from control_plane.store.engine import Database
from control_plane.store.types import AsyncSession

log = logging.getLogger(__name__)


async def org_entries(session: AsyncSession, org_id: uuid.UUID) -> tuple[str, list[KeyEntry]]:
    """The org's slug and the entries of its keys usable at a proxy (unrevoked, ``ingest``)."""
    org = await orgs.get_org(session, org_id)
    if org is None:
        raise LookupError(f"no such org: {org_id}")
    entries = [
        KeyEntry(
            public_id=key.public_id,
            org=org.slug,
            secret_hash=key.secret_hash,
            agent=agent,
            expires_at=key.expires_at,
        )
        for key, agent in await api_keys.list_live_api_keys_with_agent(session, org_id)
        if PROXY_SCOPE in key.scopes
    ]
    return org.slug, entries


async def publish_keys(
    directory: KeyDirectoryPublisher, org: str, version: int, entries: list[KeyEntry]
) -> bool:
    """Publish after commit. A failure is logged, not raised: the worker republishes."""
    try:
        return await directory.publish_keys(org, version, entries)
    except Exception:
        log.exception(
            "key directory publish failed; the worker will republish",
            extra={"org": org, "version": version},
        )
        return False


async def republish_org_keys(
    database: Database, directory: KeyDirectoryPublisher, org_id: uuid.UUID
) -> None:
    """Publish one org's directory at its current stored version."""
    # The version is read before the keys: a change committed in between is published under
    # the older version at worst, and its own (newer) publish still follows.
    async with database.transaction(org_id) as session:
        version = await control_rules.get_version(session, org_id)
        org, entries = await org_entries(session, org_id)
    if await publish_keys(directory, org, version, entries):
        log.info("key directory republished", extra={"org": org, "version": version})
