"""The versioned pull every source pairs with its push (shared by the Redis and memory sources).

Pub/sub loses what is published while a subscriber is disconnected; a resync compares the
stored versions with the held ones and fetches only what is newer, so a missed message heals
within one resync period and an older version is never applied over a newer one. The key
directory is small: a resync or an announcement of a newer org directory pulls it whole.

A store that lists none of the orgs a proxy holds has lost its state (Redis restarted without
persistence, or flushed): that read confirms nothing, so the proxy keeps what it holds and is
not marked synced (its state age keeps growing) until the control plane has republished.
"""

from __future__ import annotations

import logging

from agentops.statebus import Announcement, KeyDirectoryReader, StateReader
from proxy.control.holder import ControlStateHolder
from proxy.control.key_verifier import StateKeyVerifier
from proxy.control.metrics import STATE_STORE_EMPTY

log = logging.getLogger(__name__)


async def resync(
    reader: StateReader,
    holder: ControlStateHolder,
    keys: tuple[KeyDirectoryReader, StateKeyVerifier] | None = None,
) -> int:
    """Fetch and apply every snapshot newer than held, and the key directory; returns how many
    snapshots were applied. The holder is marked synced once both are in."""
    versions = await reader.versions()
    if holder.orgs() and not versions.keys() & set(holder.orgs()):
        STATE_STORE_EMPTY.inc()
        log.warning(
            "the state store holds none of this proxy's orgs (restarted empty?); keeping the "
            "held state until the control plane republishes",
            extra={"held_orgs": len(holder.orgs())},
        )
        return 0
    newer = [org for org, version in versions.items() if version > holder.version(org)]
    applied = 0
    for org, raw in (await reader.fetch(newer)).items():
        if raw is not None and holder.apply_raw(org, raw):
            applied += 1
    if keys is not None:
        directory, verifier = keys
        verifier.replace(*await directory.key_directory())
    holder.mark_synced()
    return applied


async def follow(reader: StateReader, holder: ControlStateHolder, news: Announcement) -> bool:
    """Apply an announced change, unless what is held is already as new."""
    if news.version <= holder.version(news.org):
        return False
    raw = (await reader.fetch([news.org])).get(news.org)
    return raw is not None and holder.apply_raw(news.org, raw)


async def follow_keys(
    directory: KeyDirectoryReader, verifier: StateKeyVerifier, news: Announcement
) -> bool:
    """Reload the key directory when an org's announced version is newer than held."""
    if news.version <= verifier.version(news.org):
        return False
    verifier.replace(*await directory.key_directory())
    return True
