"""Failed-login counters per account and per client address, with lockout.

Each failure increments a counter that lives ``window`` seconds from its first failure; once a
counter has reached its limit, logins on that key are refused (429 with Retry-After) before any
password is hashed, until the window ends. Counters live in Redis so every replica sees the
same count; when Redis errors, this process falls back to its own counters (logged and counted
in ``agentops_login_throttle_fallbacks_total``), so a Redis outage weakens the limit to per
replica instead of lifting it or refusing every login.
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
from dataclasses import dataclass

from redis.asyncio import Redis
from redis.exceptions import RedisError

from control_plane.metrics import LOGIN_THROTTLE_FALLBACKS

log = logging.getLogger(__name__)

# A Redis that black-holes packets must not hold a login: past this, fall back.
REDIS_TIMEOUT_SECONDS = 0.5
_REDIS_FAILURES = (RedisError, TimeoutError, OSError)


@dataclass(frozen=True)
class Counter:
    kind: str  # "account" | "address"
    key: str
    limit: int


@dataclass(frozen=True)
class Refusal:
    kind: str
    retry_after: int  # whole seconds, at least 1


class MemoryCounters:
    """This process's failure counters: the embedded mode, and the fallback when Redis errors."""

    def __init__(self) -> None:
        self._counts: dict[str, tuple[int, float]] = {}  # key -> (failures, window end)

    def get(self, key: str) -> tuple[int, float]:
        count, ends = self._counts.get(key, (0, 0.0))
        remaining = ends - time.monotonic()
        return (count, remaining) if remaining > 0 else (0, 0.0)

    def add(self, key: str, window: float) -> tuple[int, float]:
        count, remaining = self.get(key)
        if count == 0:
            remaining = window
        self._counts[key] = (count + 1, time.monotonic() + remaining)
        if len(self._counts) > 100_000:
            now = time.monotonic()
            self._counts = {k: v for k, v in self._counts.items() if v[1] > now}
        return count + 1, remaining

    def clear(self, key: str) -> None:
        self._counts.pop(key, None)


_ADD_LUA = """
local n = redis.call('INCR', KEYS[1])
if n == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
return {n, redis.call('PTTL', KEYS[1])}
"""


class LoginThrottle:
    def __init__(self, redis: Redis[bytes] | None, prefix: str, window_seconds: float) -> None:
        self._redis = redis
        self._prefix = f"{prefix}login-failures:"
        self._window = window_seconds
        self._memory = MemoryCounters()
        self._add = redis.register_script(_ADD_LUA) if redis is not None else None

    async def check(self, counters: list[Counter]) -> Refusal | None:
        """The first counter at its limit, with how long until its window ends."""
        for counter in counters:
            count, remaining = await self._get(counter.key)
            if count >= counter.limit:
                return Refusal(counter.kind, max(1, math.ceil(remaining)))
        return None

    async def fail(self, counters: list[Counter]) -> list[Counter]:
        """Count one failure on each counter; returns those that have just reached the limit."""
        reached = []
        for counter in counters:
            count = await self._incr(counter.key)
            if count == counter.limit:
                reached.append(counter)
        return reached

    async def clear(self, counter: Counter) -> None:
        self._memory.clear(counter.key)
        if self._redis is not None:
            try:
                async with asyncio.timeout(REDIS_TIMEOUT_SECONDS):
                    await self._redis.delete(self._prefix + counter.key)
            except _REDIS_FAILURES as exc:
                self._fell_back("clear", exc)

    async def _get(self, key: str) -> tuple[int, float]:
        if self._redis is not None:
            try:
                async with (
                    asyncio.timeout(REDIS_TIMEOUT_SECONDS),
                    self._redis.pipeline(transaction=False) as pipe,
                ):
                    pipe.get(self._prefix + key)
                    pipe.pttl(self._prefix + key)
                    raw, pttl = await pipe.execute()
                remote = (int(raw), max(0, int(pttl)) / 1000) if raw is not None else (0, 0.0)
                local = self._memory.get(key)
                return remote if remote[0] >= local[0] else local
            except _REDIS_FAILURES as exc:
                self._fell_back("check", exc)
        return self._memory.get(key)

    async def _incr(self, key: str) -> int:
        if self._add is not None:
            try:
                async with asyncio.timeout(REDIS_TIMEOUT_SECONDS):
                    window_ms = int(self._window * 1000)
                    result = await self._add(keys=[self._prefix + key], args=[window_ms])
                return int(result[0])
            except _REDIS_FAILURES as exc:
                self._fell_back("count", exc)
        return self._memory.add(key, self._window)[0]

    def _fell_back(self, step: str, exc: Exception) -> None:
        LOGIN_THROTTLE_FALLBACKS.inc()
        log.warning(
            "login throttle: Redis failed (%s: %s); using this process's counters for %s",
            type(exc).__name__,
            exc,
            step,
        )
