"""The two sides of the state bus: the control plane publishes, proxies read.

Both the Redis implementations and ``MemoryStateBus`` (embedded mode) satisfy these, so the
control plane and the proxy are written once against them.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from agentops.wire.control import ControlSnapshot


class StatePublisher(Protocol):
    async def publish(self, snapshot: ControlSnapshot) -> bool:
        """Store the snapshot and announce it; False (and no announcement) unless its version is
        strictly newer than the stored one, so concurrent publishers never regress an org."""
        ...


class StateReader(Protocol):
    async def versions(self) -> dict[str, int]:
        """Org -> version of every stored snapshot (cheap: the index only)."""
        ...

    async def fetch(self, orgs: Sequence[str]) -> dict[str, bytes | None]:
        """Raw stored snapshots; None where an org has none. Parsing is the reader's job, so a
        malformed value is rejected where it is used, not where it is stored."""
        ...
