"""The state bus inside one process (embedded mode): same contract as Redis, no server.

Snapshots are stored encoded, exactly as in Redis, so readers parse them on the same path and no
mutable object is shared between the control plane and the proxy.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence

from agentops.statebus.codec import Announcement, encode_snapshot
from agentops.wire.control import ControlSnapshot

log = logging.getLogger(__name__)

AnnouncementListener = Callable[[Announcement], None]


class MemoryStateBus:
    """Implements ``StatePublisher`` and ``StateReader``, plus in-process announcements."""

    def __init__(self) -> None:
        self._stored: dict[str, tuple[int, bytes]] = {}
        self._listeners: list[AnnouncementListener] = []

    async def publish(self, snapshot: ControlSnapshot) -> bool:
        current = self._stored.get(snapshot.org)
        if current is not None and current[0] >= snapshot.version:
            return False
        self._stored[snapshot.org] = (snapshot.version, encode_snapshot(snapshot).encode())
        announcement = Announcement(org=snapshot.org, version=snapshot.version)
        for listener in list(self._listeners):
            try:
                listener(announcement)
            except Exception:
                # One broken listener must not stop the others nor fail the publisher; the
                # periodic resync heals whatever it missed.
                log.exception("state listener failed", extra={"org": snapshot.org})
        return True

    async def versions(self) -> dict[str, int]:
        return {org: version for org, (version, _) in self._stored.items()}

    async def fetch(self, orgs: Sequence[str]) -> dict[str, bytes | None]:
        return {org: (self._stored[org][1] if org in self._stored else None) for org in orgs}

    def read_raw(self, org: str) -> bytes | None:
        """Synchronous read for in-process subscribers, which apply before ``publish`` returns."""
        stored = self._stored.get(org)
        return None if stored is None else stored[1]

    def put_raw(self, org: str, version: int, raw: bytes) -> None:
        """Store bytes as they are, bypassing validation: how tests model a corrupt writer."""
        self._stored[org] = (version, raw)

    def subscribe(self, listener: AnnouncementListener) -> Callable[[], None]:
        """Register a listener; returns the function that removes it."""
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener)
