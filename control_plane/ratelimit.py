"""Rate limits per org and per API key: GCRA, in Redis when configured, else in process.

GCRA (the generic cell rate algorithm) keeps one timestamp per key, the theoretical arrival
time, and allows a burst of ``limit`` requests then one every ``period / limit`` seconds. It has
no window boundaries, so a client cannot double its rate by straddling one, and it needs a
single atomic read-modify-write, done in Redis by a short Lua script using the server's clock.

Redis is not needed to answer the API: when it fails, ``DegradingRateLimiter`` counts the
request in this process instead (each replica then allows up to the limit on its own), logs the
switch once, counts each degraded request, and tries Redis again after a short pause.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable
from typing import Protocol

from redis.asyncio import Redis
from redis.exceptions import RedisError

from control_plane.metrics import RATE_LIMIT_DEGRADED

log = logging.getLogger(__name__)

PERIOD_SECONDS = 60.0


def gcra(tat: float, now: float, limit: int, period: float) -> tuple[float | None, float]:
    """Return (retry_after or None when allowed, new theoretical arrival time)."""
    interval = period / limit
    new_tat = max(tat, now) + interval
    allow_at = new_tat - period
    if now < allow_at:
        return allow_at - now, tat
    return None, new_tat


class RateLimiter(Protocol):
    async def hit(self, key: str, limit: int) -> float | None:
        """Count one request on ``key``; seconds to wait when over ``limit``, else None."""


class MemoryRateLimiter:
    """One process only (embedded mode)."""

    def __init__(self, period: float = PERIOD_SECONDS) -> None:
        self._period = period
        self._tat: dict[str, float] = {}

    async def hit(self, key: str, limit: int) -> float | None:
        now = time.monotonic()
        retry_after, self._tat[key] = gcra(self._tat.get(key, 0.0), now, limit, self._period)
        if len(self._tat) > 100_000:
            # Keys whose arrival time is in the past carry no state worth keeping.
            self._tat = {k: v for k, v in self._tat.items() if v > now}
        return retry_after


_GCRA_LUA = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local interval = tonumber(ARGV[1])
local period = tonumber(ARGV[2])
local tat = tonumber(redis.call('GET', KEYS[1]) or '0')
if tat < now then tat = now end
local new_tat = tat + interval
local allow_at = new_tat - period
if now < allow_at then return tostring(allow_at - now) end
redis.call('SET', KEYS[1], tostring(new_tat), 'PX', math.ceil((new_tat - now) * 1000))
return ''
"""


class RedisRateLimiter:
    """Shared by every replica of the control plane."""

    def __init__(self, redis: Redis[bytes], prefix: str, period: float = PERIOD_SECONDS) -> None:
        self._script = redis.register_script(_GCRA_LUA)
        self._prefix = prefix
        self._period = period

    async def hit(self, key: str, limit: int) -> float | None:
        result = await self._script(
            keys=[f"{self._prefix}ratelimit:{key}"], args=[self._period / limit, self._period]
        )
        text = result.decode() if isinstance(result, bytes) else str(result or "")
        return float(text) if text else None


class DegradingRateLimiter:
    """Redis when it answers, else the in-process limiter; after a failure Redis is skipped for
    ``retry_seconds``, so an unreachable Redis costs one timeout per pause, not one per request."""

    def __init__(
        self,
        shared: RateLimiter,
        local: MemoryRateLimiter | None = None,
        *,
        retry_seconds: float = 5.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._shared = shared
        self._local = local or MemoryRateLimiter()
        self._retry = retry_seconds
        self._clock = clock
        self._skip_until: float | None = None  # None: Redis healthy

    @property
    def degraded(self) -> bool:
        return self._skip_until is not None

    async def hit(self, key: str, limit: int) -> float | None:
        if self._skip_until is None or self._clock() >= self._skip_until:
            try:
                result = await self._shared.hit(key, limit)
            except (RedisError, OSError, TimeoutError) as exc:
                if self._skip_until is None:
                    log.warning(
                        "rate limiter: Redis unreachable; limiting in process until it returns",
                        extra={"error": type(exc).__name__},
                    )
                self._skip_until = self._clock() + self._retry
            else:
                if self._skip_until is not None:
                    log.info("rate limiter: Redis is back; shared limits again")
                self._skip_until = None
                return result
        RATE_LIMIT_DEGRADED.inc()
        return await self._local.hit(key, limit)


def retry_after_header(seconds: float) -> str:
    return str(max(1, math.ceil(seconds)))
