"""The state bus inside one process (embedded mode): same contract as Redis, no server.

Snapshots are stored encoded, exactly as in Redis, so readers parse them on the same path and no
mutable object is shared between the control plane and the proxy.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence

from agentops.statebus.codec import Announcement, encode_snapshot
from agentops.statebus.directory import KeyEntry, encode_entry
from agentops.statebus.runs import MemoryRunCounters
from agentops.wire.approvals import ApprovalVerdict
from agentops.wire.control import ControlSnapshot

log = logging.getLogger(__name__)

AnnouncementListener = Callable[[Announcement], None]
KeysListener = Callable[[], None]
VerdictListener = Callable[[ApprovalVerdict], None]


class MemoryStateBus:
    """Implements ``StatePublisher``, ``StateReader`` and both sides of the key directory, plus
    in-process announcements."""

    def __init__(self) -> None:
        self._stored: dict[str, tuple[int, bytes]] = {}
        self._listeners: list[AnnouncementListener] = []
        self._key_versions: dict[str, int] = {}
        self._key_entries: dict[str, dict[str, bytes]] = {}  # org -> public id -> entry
        self._key_listeners: list[KeysListener] = []
        self._verdict_listeners: list[VerdictListener] = []
        self.runs = MemoryRunCounters()  # the run counters the embedded proxy and API share

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

    async def publish_keys(self, org: str, version: int, entries: Sequence[KeyEntry]) -> bool:
        if self._key_versions.get(org, -1) >= version:
            return False
        self._key_entries[org] = {e.public_id: encode_entry(e).encode() for e in entries}
        self._key_versions[org] = version
        for listener in list(self._key_listeners):
            try:
                listener()
            except Exception:
                log.exception("key directory listener failed", extra={"org": org})
        return True

    async def key_versions(self) -> dict[str, int]:
        return dict(self._key_versions)

    async def key_directory(self) -> tuple[dict[str, int], dict[str, bytes]]:
        return self.read_key_directory()

    def read_key_directory(self) -> tuple[dict[str, int], dict[str, bytes]]:
        """Synchronous read for in-process subscribers (applied before ``publish_keys`` returns)."""
        entries = {pid: raw for org in self._key_entries.values() for pid, raw in org.items()}
        return dict(self._key_versions), entries

    def subscribe_keys(self, listener: KeysListener) -> Callable[[], None]:
        self._key_listeners.append(listener)
        return lambda: self._key_listeners.remove(listener)

    async def publish_verdict(self, verdict: ApprovalVerdict) -> None:
        """An approval's verdict, to the embedded proxy (``VerdictPublisher``)."""
        for listener in list(self._verdict_listeners):
            try:
                listener(verdict)
            except Exception:
                log.exception("approval listener failed", extra={"approval": verdict.id})

    def subscribe_verdicts(self, listener: VerdictListener) -> Callable[[], None]:
        self._verdict_listeners.append(listener)
        return lambda: self._verdict_listeners.remove(listener)
