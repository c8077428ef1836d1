"""Control-state distribution and shared spend counters.

Imported by both the control plane (publisher, counter rebuild) and the proxy (reader,
counters); it imports neither of them. The Redis-backed names are imported on first use
(``__getattr__``), so a process configured without Redis never imports the client (~7 MiB).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from agentops.statebus import runs, spend_lua
from agentops.statebus.codec import (
    Announcement,
    decode_announcement,
    decode_snapshot,
    encode_snapshot,
)
from agentops.statebus.directory import (
    PROXY_SCOPE,
    KeyDirectoryPublisher,
    KeyDirectoryReader,
    KeyEntry,
    decode_entry,
)
from agentops.statebus.errors import CounterUnavailable, MalformedState, StateBusError
from agentops.statebus.memory import MemoryStateBus
from agentops.statebus.protocols import StatePublisher, StateReader
from agentops.statebus.ratelimit import (
    GCRA,
    MemoryRateLimiter,
    RateDecision,
    RateLimiter,
    RedisRateLimiter,
)
from agentops.statebus.redis_keys import StateKeys, spend_keys
from agentops.statebus.runs import (
    MemoryRunCounters,
    RedisRunCounters,
    RunCall,
    RunCounters,
    RunState,
)
from agentops.statebus.spend import (
    CounterState,
    HoldRequest,
    Reservation,
    SpendCounters,
    from_micros,
    to_micros,
)
from agentops.statebus.spend_memory import MemorySpendCounters

if TYPE_CHECKING:
    from agentops.statebus.client import connect, warm
    from agentops.statebus.redis_bus import RedisStatePublisher, RedisStateReader
    from agentops.statebus.redis_directory import RedisKeyDirectory
    from agentops.statebus.spend_redis import RedisSpendCounters

# Name -> the module that defines it, for the names that import redis.
_REDIS_BACKED = {
    "connect": "client",
    "warm": "client",
    "RedisStatePublisher": "redis_bus",
    "RedisStateReader": "redis_bus",
    "RedisKeyDirectory": "redis_directory",
    "RedisSpendCounters": "spend_redis",
}


def __getattr__(name: str) -> Any:
    module = _REDIS_BACKED.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value  # asked once
    return value


# Every Lua script the proxy's counters run: spend holds, rate limits and run counters (loaded
# by ``warm``).
COUNTER_SCRIPTS = (
    spend_lua.RESERVE,
    spend_lua.SETTLE,
    spend_lua.RELEASE,
    spend_lua.REBUILD,
    spend_lua.USAGE,
    GCRA,
    runs.COUNT,
)

__all__ = [
    "COUNTER_SCRIPTS",
    "PROXY_SCOPE",
    "Announcement",
    "CounterState",
    "CounterUnavailable",
    "HoldRequest",
    "KeyDirectoryPublisher",
    "KeyDirectoryReader",
    "KeyEntry",
    "MalformedState",
    "MemoryRateLimiter",
    "MemoryRunCounters",
    "MemorySpendCounters",
    "MemoryStateBus",
    "RateDecision",
    "RateLimiter",
    "RedisKeyDirectory",
    "RedisRateLimiter",
    "RedisRunCounters",
    "RedisSpendCounters",
    "RedisStatePublisher",
    "RedisStateReader",
    "Reservation",
    "RunCall",
    "RunCounters",
    "RunState",
    "SpendCounters",
    "StateBusError",
    "StateKeys",
    "StatePublisher",
    "StateReader",
    "connect",
    "decode_announcement",
    "decode_entry",
    "decode_snapshot",
    "encode_snapshot",
    "from_micros",
    "spend_keys",
    "to_micros",
    "warm",
]
