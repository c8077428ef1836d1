"""The versioned pull every source pairs with its push (shared by the Redis and memory sources).

Pub/sub loses what is published while a subscriber is disconnected; a resync compares the
stored versions with the held ones and fetches only what is newer, so a missed message heals
within one resync period and an older version is never applied over a newer one.
"""

from __future__ import annotations

from agentops.statebus import Announcement, StateReader
from proxy.control.holder import ControlStateHolder


async def resync(reader: StateReader, holder: ControlStateHolder) -> int:
    """Fetch and apply every snapshot newer than held; returns how many were applied."""
    versions = await reader.versions()
    newer = [org for org, version in versions.items() if version > holder.version(org)]
    applied = 0
    for org, raw in (await reader.fetch(newer)).items():
        if raw is not None and holder.apply_raw(org, raw):
            applied += 1
    holder.mark_synced()
    return applied


async def follow(reader: StateReader, holder: ControlStateHolder, news: Announcement) -> bool:
    """Apply an announced change, unless what is held is already as new."""
    if news.version <= holder.version(news.org):
        return False
    raw = (await reader.fetch([news.org])).get(news.org)
    return raw is not None and holder.apply_raw(news.org, raw)
