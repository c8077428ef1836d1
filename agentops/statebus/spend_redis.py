"""Spend counters in Redis, shared by every proxy replica.

Each operation is one Lua script, so check-and-hold is atomic across replicas. Every call is
bounded by ``timeout_seconds``: a slow or dead Redis surfaces as ``CounterUnavailable`` quickly,
and the gate applies ``budget_fail_mode`` instead of hanging the agent's call.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from decimal import Decimal
from typing import Any

from redis.asyncio import Redis
from redis.exceptions import RedisError

from agentops.statebus import spend_lua
from agentops.statebus.errors import CounterUnavailable
from agentops.statebus.redis_keys import spend_keys, spend_marker
from agentops.statebus.spend import (
    CounterState,
    HoldRequest,
    RefusalReason,
    Reservation,
    from_micros,
    reservation,
    to_micros,
)

DEFAULT_RETAIN_SECONDS = 40 * 24 * 3600  # a monthly period plus slack; runs expire with it


class RedisSpendCounters:
    def __init__(
        self,
        client: Redis[Any],
        prefix: str,
        *,
        timeout_seconds: float = 0.2,
        retain_seconds: int = DEFAULT_RETAIN_SECONDS,
        clock_ms: Callable[[], int] | None = None,
    ) -> None:
        """``clock_ms`` overrides the Redis server clock (tests); by default every replica
        judges hold expiry by the same clock, the server's."""
        self._client = client
        self._prefix = prefix
        self._timeout = timeout_seconds
        self._retain = retain_seconds
        self._clock_ms = clock_ms
        self._reserve = client.register_script(spend_lua.RESERVE)
        self._settle = client.register_script(spend_lua.SETTLE)
        self._release = client.register_script(spend_lua.RELEASE)
        self._rebuild = client.register_script(spend_lua.REBUILD)
        self._usage = client.register_script(spend_lua.USAGE)

    async def reserve(self, request: HoldRequest) -> Reservation:
        args: list[str | int] = [
            request.hold_id,
            to_micros(request.amount),
            to_micros(request.limit),
            int(request.ttl_seconds * 1000),
            "" if request.max_calls is None else request.max_calls,
        ]
        reply = await self._run(self._reserve, request.budget_id, request.period_key, args)
        ok, reason, usage = _parse(reply)
        return reservation(ok, reason, request.limit, usage)

    async def settle(
        self, budget_id: str, period_key: str, hold_id: str, real_cost: Decimal
    ) -> CounterState:
        reply = await self._run(
            self._settle, budget_id, period_key, [hold_id, to_micros(real_cost)]
        )
        return _parse(reply)[2]

    async def release(self, budget_id: str, period_key: str, hold_id: str) -> CounterState:
        return _parse(await self._run(self._release, budget_id, period_key, [hold_id]))[2]

    async def rebuild(
        self, budget_id: str, period_key: str, spent: Decimal, calls: int = 0
    ) -> CounterState:
        reply = await self._run(self._rebuild, budget_id, period_key, [to_micros(spent), calls])
        return _parse(reply)[2]

    async def usage(self, budget_id: str, period_key: str) -> CounterState:
        return _parse(await self._run(self._usage, budget_id, period_key, []))[2]

    async def rebuilt(self) -> bool:
        return bool(await self._call(self._client.exists(spend_marker(self._prefix))))

    async def mark_rebuilt(self) -> None:
        await self._call(self._client.set(spend_marker(self._prefix), b"1"))

    async def _call(self, operation: Awaitable[Any]) -> Any:
        try:
            async with asyncio.timeout(self._timeout):
                return await operation
        except (RedisError, OSError, TimeoutError) as exc:
            raise CounterUnavailable(f"spend counters unreachable: {type(exc).__name__}") from exc

    async def _run(
        self, script: Any, budget_id: str, period_key: str, args: Sequence[str | int]
    ) -> Any:
        now = "" if self._clock_ms is None else str(self._clock_ms())
        keys = spend_keys(self._prefix, budget_id, period_key)
        return await self._call(script(keys=keys, args=[now, self._retain, *args]))


def _parse(reply: Sequence[Any]) -> tuple[bool, RefusalReason, CounterState]:
    ok, reason, spent, held, calls, holds = reply
    text = reason.decode() if isinstance(reason, bytes) else str(reason)
    if text not in ("ok", "limit", "calls"):
        raise CounterUnavailable(f"unexpected counter reply {text!r}")
    usage = CounterState(
        spent=from_micros(int(spent)),
        held=from_micros(int(held)),
        calls=int(calls),
        holds=int(holds),
    )
    return bool(ok), text, usage  # type: ignore[return-value]
