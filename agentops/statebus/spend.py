"""Shared spend counters for budgets: the contract, its result types and exact money units.

Every proxy replica reserves against the same counter before a call ("hold") and settles the
real cost after it, so N replicas cannot each spend the whole remaining budget. A hold expires
on its own: a proxy that crashes mid-call stops counting against the budget after ``ttl``.

Money is ``Decimal`` in Python and integer micro-dollars in the store. Redis runs Lua 5.1, whose
numbers are doubles: integers are exact up to 2**53, which in micro-dollars is about nine
billion dollars per counter, far beyond any budget period. Nano-dollars would capture sub-micro
prices exactly but cap a counter at nine million dollars, which a large org can reach. Amounts
are rounded up to the micro-dollar, so the counter never under-counts (at most $0.000001 per
call over); the control plane's ``rebuild`` from PostgreSQL, the truth, removes any drift.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_CEILING, Decimal
from typing import Literal, Protocol

MICROS_PER_USD = 1_000_000
_MICRO = Decimal("0.000001")

RefusalReason = Literal["ok", "limit", "calls"]


def to_micros(amount: Decimal) -> int:
    """Exact conversion to integer micro-dollars, rounding up (never under-counting)."""
    if amount < 0:
        raise ValueError("money amounts are never negative")
    return int(amount.quantize(_MICRO, rounding=ROUND_CEILING) * MICROS_PER_USD)


def from_micros(micros: int) -> Decimal:
    return Decimal(micros).scaleb(-6)


@dataclass(frozen=True)
class CounterState:
    """A counter as it stands: settled spend and calls, and the live holds."""

    spent: Decimal
    held: Decimal
    calls: int
    holds: int

    @property
    def committed(self) -> Decimal:
        return self.spent + self.held


@dataclass(frozen=True)
class HoldRequest:
    """What a call asks one budget's counter to hold before it goes upstream."""

    budget_id: str
    period_key: str
    hold_id: str
    amount: Decimal
    limit: Decimal
    ttl_seconds: float
    max_calls: int | None = None  # a cap on settled calls plus live holds


@dataclass(frozen=True)
class Reservation:
    ok: bool
    reason: RefusalReason  # "ok", or which limit refused it
    remaining: Decimal  # limit minus spent minus held, after this reservation
    usage: CounterState


class SpendCounters(Protocol):
    """Implemented over Redis (every replica shares it) and in memory (embedded mode)."""

    async def reserve(self, request: HoldRequest) -> Reservation:
        """Atomically: purge expired holds, then hold ``amount`` if spent + held + amount stays
        within ``limit`` (and settled calls + holds stays within ``max_calls``). Reserving an
        existing hold id again is a no-op that succeeds."""
        ...

    async def settle(
        self, budget_id: str, period_key: str, hold_id: str, real_cost: Decimal
    ) -> CounterState:
        """Drop the hold (if it has not expired) and count the real cost and one call."""
        ...

    async def release(self, budget_id: str, period_key: str, hold_id: str) -> CounterState:
        """Drop the hold of a call that never reached the provider."""
        ...

    async def rebuild(
        self, budget_id: str, period_key: str, spent: Decimal, calls: int = 0
    ) -> CounterState:
        """Set settled spend and calls from the store's truth (after a Redis restart or a
        reconciliation); live holds are kept."""
        ...

    async def usage(self, budget_id: str, period_key: str) -> CounterState: ...

    async def rebuilt(self) -> bool:
        """Whether the counters still hold the control plane's last full rebuild (False after
        they were lost, e.g. Redis restarted empty, or before the first rebuild)."""
        ...

    async def mark_rebuilt(self) -> None:
        """Record that every counter was just rebuilt from the store."""
        ...


def reservation(
    ok: bool, reason: RefusalReason, limit: Decimal, usage: CounterState
) -> Reservation:
    return Reservation(ok=ok, reason=reason, remaining=limit - usage.committed, usage=usage)
