"""Names of every Redis key and channel the state bus and the spend counters use.

Kept in one place so the control plane (writer) and the proxies (readers) cannot disagree.
"""

from __future__ import annotations

from dataclasses import dataclass

# ``{prefix}state:index`` shares the ``state:`` namespace with the per-org keys, so an org slug
# equal to this word would overwrite the index. The control plane reserves the slug.
RESERVED_ORG = "index"


@dataclass(frozen=True)
class StateKeys:
    prefix: str

    def state(self, org: str) -> str:
        """String key holding the org's latest snapshot as JSON."""
        if org == RESERVED_ORG:
            raise ValueError(f"org slug {RESERVED_ORG!r} is reserved")
        return f"{self.prefix}state:{org}"

    @property
    def index(self) -> str:
        """Hash of org -> version of the snapshot stored for it."""
        return f"{self.prefix}state:index"

    @property
    def channel(self) -> str:
        """Pub/sub channel announcing {org, version} after each accepted publish."""
        return f"{self.prefix}state:changed"

    @property
    def key_entries(self) -> str:
        """Hash of API key public id -> key directory entry (JSON)."""
        return f"{self.prefix}keys"

    @property
    def key_index(self) -> str:
        """Hash of org -> version its key directory entries were published at."""
        return f"{self.prefix}keys:index"

    def org_key_ids(self, org: str) -> str:
        """Set of the public ids an org's last publish listed."""
        return f"{self.prefix}keys:org:{org}"

    @property
    def key_channel(self) -> str:
        """Pub/sub channel announcing {org, version} after each accepted key publish."""
        return f"{self.prefix}keys:changed"


def spend_marker(prefix: str) -> str:
    """String key the control plane sets after rebuilding every counter from the store; its
    absence means the counters were lost (Redis restarted empty) and must be rebuilt now."""
    return f"{prefix}spend:rebuilt"


@dataclass(frozen=True)
class SpendKeys:
    """The three keys of one budget counter; ``period_key`` is ``run:<id>`` for run budgets."""

    prefix: str
    budget_id: str
    period_key: str

    @property
    def _base(self) -> str:
        return f"{self.prefix}spend:{self.budget_id}:{self.period_key}"

    @property
    def counter(self) -> str:
        """Hash {spent, held, calls}: settled micro-dollars, held micro-dollars, settled calls."""
        return self._base

    @property
    def holds(self) -> str:
        """Sorted set of hold ids scored by expiry (ms since the epoch)."""
        return f"{self._base}:holds"

    @property
    def amounts(self) -> str:
        """Hash of hold id -> held micro-dollars."""
        return f"{self._base}:amounts"

    def all(self) -> list[str]:
        return [self.counter, self.holds, self.amounts]
