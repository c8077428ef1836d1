"""Names of every Redis key and channel the state bus and the spend counters use.

Kept in one place so the control plane (writer) and the proxies (readers) cannot disagree.
"""

from __future__ import annotations

# ``{prefix}state:index`` shares the ``state:`` namespace with the per-org keys, so an org slug
# equal to this word would overwrite the index. The control plane reserves the slug.
RESERVED_ORG = "index"


class StateKeys:
    """The state bus's and the key directory's names under one prefix."""

    def __init__(self, prefix: str) -> None:
        self.prefix = prefix
        # Hash of org -> version of the snapshot stored for it.
        self.index = f"{prefix}state:index"
        # Pub/sub channel announcing {org, version} after each accepted publish.
        self.channel = f"{prefix}state:changed"
        # Hash of API key public id -> key directory entry (JSON).
        self.key_entries = f"{prefix}keys"
        # Hash of org -> version its key directory entries were published at.
        self.key_index = f"{prefix}keys:index"
        # Pub/sub channel announcing {org, version} after each accepted key publish.
        self.key_channel = f"{prefix}keys:changed"

    def state(self, org: str) -> str:
        """String key holding the org's latest snapshot as JSON."""
        if org == RESERVED_ORG:
            raise ValueError(f"org slug {RESERVED_ORG!r} is reserved")
        return f"{self.prefix}state:{org}"

    def org_key_ids(self, org: str) -> str:
        """Set of the public ids an org's last publish listed."""
        return f"{self.prefix}keys:org:{org}"


def spend_marker(prefix: str) -> str:
    """String key the control plane sets after rebuilding every counter from the store; its
    absence means the counters were lost (Redis restarted empty) and must be rebuilt now."""
    return f"{prefix}spend:rebuilt"


def spend_keys(prefix: str, budget_id: str, period_key: str) -> list[str]:
    """The three keys of one budget counter (``period_key`` is ``run:<id>`` for run budgets):
    the hash {spent, held, calls} (settled micro-dollars, held micro-dollars, settled calls),
    the sorted set of hold ids scored by expiry (ms since the epoch), and the hash of hold id
    -> held micro-dollars."""
    base = f"{prefix}spend:{budget_id}:{period_key}"
    return [base, f"{base}:holds", f"{base}:amounts"]
