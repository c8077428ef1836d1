"""The control state a proxy serves from: one snapshot per org, in memory.

The hot path only calls ``get`` (a dict lookup). Sources call ``apply``/``apply_raw`` and
``mark_synced``. Versions only move forward, and nothing ever removes an org's last good
snapshot, so a kill stays in force through missing, stale or malformed state until a newer
version lifts it.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from agentops.statebus import MalformedState, decode_snapshot
from agentops.wire.control import ControlSnapshot
from proxy.control.metrics import STATE_APPLIED, STATE_REJECTED

log = logging.getLogger(__name__)

SnapshotListener = Callable[[ControlSnapshot], None]


class ControlStateHolder:
    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._states: dict[str, ControlSnapshot] = {}
        self._synced_at: float | None = None
        self._listeners: list[SnapshotListener] = []
        self.rejected = 0
        self.syncs = 0  # full resyncs completed

    def get(self, org: str) -> ControlSnapshot | None:
        return self._states.get(org)

    def version(self, org: str) -> int:
        """Version held for ``org``; -1 when none, so any published version (>= 0) is newer."""
        state = self._states.get(org)
        return -1 if state is None else state.version

    def apply(self, snapshot: ControlSnapshot) -> bool:
        """Hold ``snapshot`` if strictly newer than what is held; returns whether it was."""
        if snapshot.version <= self.version(snapshot.org):
            return False
        self._states[snapshot.org] = snapshot
        STATE_APPLIED.inc()
        for listener in list(self._listeners):
            listener(snapshot)
        return True

    def apply_raw(self, org: str, raw: bytes) -> bool:
        """Parse and apply a stored value; a malformed one is logged, counted and ignored."""
        try:
            snapshot = decode_snapshot(raw, org=org)
        except MalformedState as exc:
            self.rejected += 1
            STATE_REJECTED.inc()
            log.warning(
                "malformed control snapshot rejected; keeping the last good one",
                extra={"org": org, "held_version": self.version(org), "error": str(exc)},
            )
            return False
        return self.apply(snapshot)

    def mark_synced(self) -> None:
        """The source confirmed the whole state set just now (a full resync succeeded)."""
        self._synced_at = self._clock()
        self.syncs += 1

    @property
    def ready(self) -> bool:
        """True once a full sync has completed: before that, any org's state may be missing."""
        return self._synced_at is not None

    def age_seconds(self) -> float | None:
        """Seconds since the state was last confirmed; None before the first full sync."""
        if self._synced_at is None:
            return None
        return max(0.0, self._clock() - self._synced_at)

    def orgs(self) -> list[str]:
        return sorted(self._states)

    def add_listener(self, listener: SnapshotListener) -> Callable[[], None]:
        """Called after each applied snapshot (metrics, benchmarks, cutting live streams)."""
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener)
