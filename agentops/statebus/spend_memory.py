"""Spend counters in process memory (embedded mode: one process, so no sharing is needed).

Same semantics as the Redis scripts, including hold expiry, so tests of budget behaviour hold
for both. Each method runs without an ``await`` inside, which makes it atomic under asyncio.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal

from agentops.statebus.spend import (
    CounterState,
    HoldRequest,
    Reservation,
    from_micros,
    reservation,
    to_micros,
)


@dataclass
class _Counter:
    spent: int = 0
    calls: int = 0
    holds: dict[str, tuple[int, float]] = field(default_factory=dict)  # id -> (micros, expiry)

    def purge(self, now: float) -> None:
        for hold_id in [h for h, (_, expiry) in self.holds.items() if expiry <= now]:
            del self.holds[hold_id]

    def usage(self) -> CounterState:
        held = sum(micros for micros, _ in self.holds.values())
        return CounterState(from_micros(self.spent), from_micros(held), self.calls, len(self.holds))


class MemorySpendCounters:
    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self._clock = clock
        self._counters: dict[tuple[str, str], _Counter] = {}
        self._rebuilt = False

    def _counter(self, budget_id: str, period_key: str) -> _Counter:
        counter = self._counters.setdefault((budget_id, period_key), _Counter())
        counter.purge(self._clock())
        return counter

    async def reserve(self, request: HoldRequest) -> Reservation:
        counter = self._counter(request.budget_id, request.period_key)
        limit, max_calls = request.limit, request.max_calls
        if request.hold_id in counter.holds:
            return reservation(True, "ok", limit, counter.usage())
        committed = counter.spent + sum(m for m, _ in counter.holds.values())
        micros, limit_micros = to_micros(request.amount), to_micros(limit)
        if committed >= limit_micros or committed + micros > limit_micros:
            return reservation(False, "limit", limit, counter.usage())
        if max_calls is not None and counter.calls + len(counter.holds) + 1 > max_calls:
            return reservation(False, "calls", limit, counter.usage())
        counter.holds[request.hold_id] = (micros, self._clock() + request.ttl_seconds)
        return reservation(True, "ok", limit, counter.usage())

    async def settle(
        self, budget_id: str, period_key: str, hold_id: str, real_cost: Decimal
    ) -> CounterState:
        counter = self._counter(budget_id, period_key)
        counter.holds.pop(hold_id, None)
        counter.spent += to_micros(real_cost)
        counter.calls += 1
        return counter.usage()

    async def release(self, budget_id: str, period_key: str, hold_id: str) -> CounterState:
        counter = self._counter(budget_id, period_key)
        counter.holds.pop(hold_id, None)
        return counter.usage()

    async def rebuild(
        self, budget_id: str, period_key: str, spent: Decimal, calls: int = 0
    ) -> CounterState:
        counter = self._counter(budget_id, period_key)
        counter.spent, counter.calls = to_micros(spent), calls
        return counter.usage()

    async def usage(self, budget_id: str, period_key: str) -> CounterState:
        return self._counter(budget_id, period_key).usage()

    async def rebuilt(self) -> bool:
        return self._rebuilt

    async def mark_rebuilt(self) -> None:
        self._rebuilt = True
