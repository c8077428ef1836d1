"""Per-run counters shared by every proxy replica: calls and prompt tokens of a run, how often
it sent the same prompt or the same tool call within a window, how long its prompt has grown
step over step, and whether a ``pause_run`` policy paused it. One Redis script per call (and
its in-memory twin for the embedded single process). An admin lifts a pause early with
``resume`` (the control plane writes the same counters): the next call of the run, through any
replica, reads the pause gone.

A run's keys share one hash tag (``{org:run}``), so the script stays on one Redis Cluster
slot. Counters expire ``RUN_TTL_SECONDS`` after the run's last call; repeat counters expire
their window after the first time a prompt was seen (a fixed window from that first time).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from agentops.statebus.errors import CounterUnavailable, unreachable_errors

if TYPE_CHECKING:
    from redis.asyncio import Redis

RUN_TTL_SECONDS = 86_400

COUNT = """
local paused = redis.call('GET', KEYS[1])
if paused then return {paused} end
local ttl = tonumber(ARGV[1])
local tokens = tonumber(ARGV[2])
local calls = redis.call('INCR', KEYS[2])
redis.call('EXPIRE', KEYS[2], ttl)
local total = redis.call('INCRBY', KEYS[3], tokens)
redis.call('EXPIRE', KEYS[3], ttl)
local last = tonumber(redis.call('GET', KEYS[4]) or '-1')
local growth = 0
if last >= 0 and tokens > last then
  growth = redis.call('INCR', KEYS[5])
else
  redis.call('SET', KEYS[5], 0)
end
redis.call('EXPIRE', KEYS[5], ttl)
redis.call('SET', KEYS[4], ARGV[2], 'EX', ttl)
local out = {'', calls, total, growth}
local has_tool = ARGV[3] == '1'
for i = 4, #ARGV do
  local window = tonumber(ARGV[i])
  local at = 6 + (i - 4) * 2
  local seen = redis.call('INCR', KEYS[at])
  if seen == 1 then redis.call('EXPIRE', KEYS[at], window) end
  local tool = 0
  if has_tool then
    tool = redis.call('INCR', KEYS[at + 1])
    if tool == 1 then redis.call('EXPIRE', KEYS[at + 1], window) end
  end
  table.insert(out, seen)
  table.insert(out, tool)
end
return out
"""


@dataclass(frozen=True)
class RunState:
    """A run's counters with this call counted (or, when ``paused``, nothing counted)."""

    calls: int = 0
    tokens: int = 0
    growth: int = 0
    prompt_repeats: dict[int, int] = field(default_factory=dict)
    tool_repeats: dict[int, int] = field(default_factory=dict)
    paused: str | None = None


@dataclass(frozen=True)
class RunCall:
    """What one call adds to its run: ``prompt``/``tool_call`` fingerprints ("" for none)."""

    run: str  # org and run id
    prompt: str
    tool_call: str
    tokens: int
    windows: Sequence[int] = ()


class RunCounters(Protocol):
    async def count(self, call: RunCall) -> RunState: ...

    async def pause(self, run: str, reason: str, seconds: int) -> None: ...

    async def paused(self, run: str) -> str | None:
        """Why ``run`` is paused, or None when it is not."""
        ...

    async def resume(self, run: str) -> bool:
        """Lift ``run``'s pause; whether it was paused."""
        ...


class RedisRunCounters:
    def __init__(self, client: Redis[Any], prefix: str, *, timeout_seconds: float = 0.2) -> None:
        self._unreachable = unreachable_errors()
        self._client = client
        self._prefix = prefix
        self._timeout = timeout_seconds
        self._script = client.register_script(COUNT)

    def _base(self, run: str) -> str:
        return f"{self._prefix}run:{{{run}}}"

    async def count(self, call: RunCall) -> RunState:
        base = self._base(call.run)
        keys = [f"{base}:paused", f"{base}:calls", f"{base}:tokens", f"{base}:ctx", f"{base}:grow"]
        for window in call.windows:
            keys += [f"{base}:p:{window}:{call.prompt}", f"{base}:t:{window}:{call.tool_call}"]
        args = [RUN_TTL_SECONDS, call.tokens, int(bool(call.tool_call)), *call.windows]
        try:
            async with asyncio.timeout(self._timeout):
                out = await self._script(keys=keys, args=args)
        except self._unreachable as exc:
            raise CounterUnavailable(f"run counters unreachable: {type(exc).__name__}") from exc
        if len(out) == 1:
            raw = out[0]
            return RunState(paused=raw.decode() if isinstance(raw, bytes) else str(raw))
        pairs = [(int(out[i]), int(out[i + 1])) for i in range(4, len(out), 2)]
        return RunState(
            calls=int(out[1]),
            tokens=int(out[2]),
            growth=int(out[3]),
            prompt_repeats={w: p for w, (p, _) in zip(call.windows, pairs, strict=True)},
            tool_repeats={w: t for w, (_, t) in zip(call.windows, pairs, strict=True)},
        )

    async def pause(self, run: str, reason: str, seconds: int) -> None:
        try:
            async with asyncio.timeout(self._timeout):
                await self._client.set(f"{self._base(run)}:paused", reason, ex=seconds)
        except self._unreachable as exc:
            raise CounterUnavailable(f"run counters unreachable: {type(exc).__name__}") from exc

    async def paused(self, run: str) -> str | None:
        try:
            async with asyncio.timeout(self._timeout):
                raw = await self._client.get(f"{self._base(run)}:paused")
        except self._unreachable as exc:
            raise CounterUnavailable(f"run counters unreachable: {type(exc).__name__}") from exc
        return raw.decode() if isinstance(raw, bytes) else raw

    async def resume(self, run: str) -> bool:
        try:
            async with asyncio.timeout(self._timeout):
                removed = await self._client.delete(f"{self._base(run)}:paused")
        except self._unreachable as exc:
            raise CounterUnavailable(f"run counters unreachable: {type(exc).__name__}") from exc
        return bool(removed)


class MemoryRunCounters:
    """The same counters in one process's memory (``agentops up``), expiring like Redis's."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._values: dict[str, tuple[Any, float]] = {}  # key -> (value, expires at)

    def _get(self, key: str) -> Any:
        found = self._values.get(key)
        if found is None or found[1] <= self._clock():
            self._values.pop(key, None)
            return None
        return found[0]

    def _set(self, key: str, value: Any, ttl: float) -> None:
        self._values[key] = (value, self._clock() + ttl)

    def _incr(self, key: str, by: int, ttl: float, *, keep_expiry: bool = False) -> int:
        found = self._values.get(key) if self._get(key) is not None else None
        value = (found[0] if found else 0) + by
        expires = found[1] if found and keep_expiry else self._clock() + ttl
        self._values[key] = (value, expires)
        return int(value)

    async def count(self, call: RunCall) -> RunState:
        paused = self._get(f"{call.run}:paused")
        if paused is not None:
            return RunState(paused=str(paused))
        ttl = RUN_TTL_SECONDS
        calls = self._incr(f"{call.run}:calls", 1, ttl)
        tokens = self._incr(f"{call.run}:tokens", call.tokens, ttl)
        last = self._get(f"{call.run}:ctx")
        grow = 0
        if last is not None and call.tokens > last:
            grow = self._incr(f"{call.run}:grow", 1, ttl)
        else:
            self._set(f"{call.run}:grow", 0, ttl)
        self._set(f"{call.run}:ctx", call.tokens, ttl)
        prompts, tools = {}, {}
        for window in call.windows:
            key = f"{call.run}:p:{window}:{call.prompt}"
            prompts[window] = self._incr(key, 1, window, keep_expiry=True)
            if call.tool_call:
                key = f"{call.run}:t:{window}:{call.tool_call}"
                tools[window] = self._incr(key, 1, window, keep_expiry=True)
            else:
                tools[window] = 0
        if len(self._values) > 200_000:
            now = self._clock()
            self._values = {k: v for k, v in self._values.items() if v[1] > now}
        return RunState(calls, tokens, grow, prompts, tools)

    async def pause(self, run: str, reason: str, seconds: int) -> None:
        self._set(f"{run}:paused", reason, seconds)

    async def paused(self, run: str) -> str | None:
        found = self._get(f"{run}:paused")
        return None if found is None else str(found)

    async def resume(self, run: str) -> bool:
        was = self._get(f"{run}:paused") is not None
        self._values.pop(f"{run}:paused", None)
        return was
