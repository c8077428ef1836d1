"""Rate limits shared by every proxy replica: GCRA (generic cell rate algorithm) in one Redis
script, and its in-memory twin for the embedded single process.

A limit of N units per minute (requests, or tokens) lets N units through at once and then one
every 60/N seconds: the key stores only the "theoretical arrival time" (TAT) of the next unit.
Redis's own clock (``TIME`` inside the script) is the one clock every replica shares. A call
costing more units than the whole limit can never pass and is refused without touching state.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from agentops.statebus.errors import CounterUnavailable, unreachable_errors

if TYPE_CHECKING:
    from redis.asyncio import Redis

WINDOW_MS = 60_000

GCRA = """
local now = redis.call('TIME')
local now_ms = tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000)
local emission = tonumber(ARGV[1])
local cost = tonumber(ARGV[2])
local tat = tonumber(redis.call('GET', KEYS[1]) or now_ms)
if tat < now_ms then tat = now_ms end
local new_tat = tat + emission * cost
local wait = new_tat - now_ms - tonumber(ARGV[3])
if wait > 0 then return {0, math.ceil(wait)} end
redis.call('SET', KEYS[1], string.format('%d', new_tat), 'PX', math.ceil(new_tat - now_ms) + 1000)
return {1, 0}
"""


@dataclass(frozen=True)
class RateDecision:
    allowed: bool
    retry_after_ms: int = 0


class RateLimiter(Protocol):
    async def take(self, key: str, per_minute: int, cost: int) -> RateDecision:
        """Take ``cost`` units from the limit of ``per_minute`` units under ``key``."""
        ...


def _too_big(per_minute: int, cost: int) -> RateDecision | None:
    if cost > per_minute:
        return RateDecision(False, WINDOW_MS)  # can never pass; retry means nothing sooner
    return None


class MemoryRateLimiter:
    def __init__(self, clock_ms: Callable[[], float] = lambda: time.monotonic() * 1000) -> None:
        self._clock = clock_ms
        self._tat: dict[str, float] = {}

    async def take(self, key: str, per_minute: int, cost: int) -> RateDecision:
        too_big = _too_big(per_minute, cost)
        if too_big is not None:
            return too_big
        now = self._clock()
        emission = WINDOW_MS / per_minute
        tat = max(self._tat.get(key, now), now)
        new_tat = tat + emission * cost
        wait = new_tat - now - WINDOW_MS
        if wait > 0:
            return RateDecision(False, math.ceil(wait))
        self._tat[key] = new_tat
        if len(self._tat) > 100_000:  # drop keys whose window has passed
            self._tat = {k: v for k, v in self._tat.items() if v > now}
        return RateDecision(True)


class RedisRateLimiter:
    def __init__(self, client: Redis[Any], prefix: str, *, timeout_seconds: float = 0.2) -> None:
        self._unreachable = unreachable_errors()
        self._prefix = prefix
        self._timeout = timeout_seconds
        self._script = client.register_script(GCRA)

    async def take(self, key: str, per_minute: int, cost: int) -> RateDecision:
        too_big = _too_big(per_minute, cost)
        if too_big is not None:
            return too_big
        args: list[str | int] = [f"{WINDOW_MS / per_minute:.6f}", cost, WINDOW_MS]
        try:
            async with asyncio.timeout(self._timeout):
                ok, wait = await self._script(keys=[f"{self._prefix}rl:{key}"], args=args)
        except self._unreachable as exc:
            raise CounterUnavailable(f"rate limits unreachable: {type(exc).__name__}") from exc
        return RateDecision(bool(ok), int(wait))
