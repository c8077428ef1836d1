"""The spend counter contract, held by the Redis scripts and the in-memory counters alike.

Both run on a fake clock here, so hold expiry is a matter of advancing it, not of sleeping.
"""

from __future__ import annotations

from decimal import Decimal as D
from typing import Any

import pytest
from redis.asyncio import Redis

from agentops.statebus import (
    CounterState,
    HoldRequest,
    MemorySpendCounters,
    RedisSpendCounters,
    SpendCounters,
)
from tests.harness.builders import FakeClock


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(start=1_750_000_000.0)


@pytest.fixture(params=["memory", "redis"])
def counters(
    request: pytest.FixtureRequest, clock: FakeClock, aredis: Redis[Any], prefix: str
) -> SpendCounters:
    if request.param == "memory":
        return MemorySpendCounters(clock=clock)
    return RedisSpendCounters(aredis, prefix, clock_ms=clock.ms, timeout_seconds=2.0)


async def test_holds_count_against_the_limit_until_settled(counters: SpendCounters) -> None:
    first = await counters.reserve(HoldRequest("b", "p", "call-1", D("6"), D("10"), 60))
    assert (first.ok, first.remaining) == (True, D("4"))
    refused = await counters.reserve(HoldRequest("b", "p", "call-2", D("5"), D("10"), 60))
    assert (refused.ok, refused.reason, refused.remaining) == (False, "limit", D("4"))
    settled = await counters.settle("b", "p", "call-1", D("2.5"))
    assert settled == CounterState(spent=D("2.5"), held=D("0"), calls=1, holds=0)
    assert (await counters.reserve(HoldRequest("b", "p", "call-2", D("5"), D("10"), 60))).ok


async def test_an_exhausted_budget_refuses_even_calls_of_unknown_cost(
    counters: SpendCounters,
) -> None:
    await counters.settle("b", "p", "call-1", D("10"))
    result = await counters.reserve(HoldRequest("b", "p", "call-2", D("0"), D("10"), 60))
    assert (result.ok, result.reason, result.remaining) == (False, "limit", D("0"))


async def test_expired_holds_stop_counting(counters: SpendCounters, clock: FakeClock) -> None:
    await counters.reserve(HoldRequest("b", "p", "crashed-call", D("9"), D("10"), ttl_seconds=30))
    assert not (await counters.reserve(HoldRequest("b", "p", "call-2", D("5"), D("10"), 30))).ok
    clock.advance(31)
    assert (await counters.reserve(HoldRequest("b", "p", "call-2", D("5"), D("10"), 30))).ok
    assert await counters.usage("b", "p") == CounterState(
        spent=D("0"), held=D("5"), calls=0, holds=1
    )


async def test_a_settle_after_expiry_still_counts_the_real_cost(
    counters: SpendCounters, clock: FakeClock
) -> None:
    await counters.reserve(HoldRequest("b", "p", "slow-call", D("1"), D("10"), ttl_seconds=5))
    clock.advance(6)
    assert await counters.settle("b", "p", "slow-call", D("1.2")) == CounterState(
        D("1.2"), D("0"), 1, 0
    )


async def test_run_budgets_limit_the_number_of_calls(counters: SpendCounters) -> None:
    for n in range(3):
        assert (
            await counters.reserve(
                HoldRequest("run", "r1", f"c{n}", D("0"), D("100"), 60, max_calls=3)
            )
        ).ok
        if n == 0:
            await counters.settle("run", "r1", "c0", D("0.01"))
    refused = await counters.reserve(
        HoldRequest("run", "r1", "c3", D("0"), D("100"), 60, max_calls=3)
    )
    assert (refused.ok, refused.reason) == (False, "calls")
    await counters.release("run", "r1", "c2")
    assert (
        await counters.reserve(HoldRequest("run", "r1", "c3", D("0"), D("100"), 60, max_calls=3))
    ).ok


async def test_reserving_the_same_hold_twice_holds_once(counters: SpendCounters) -> None:
    for _ in range(2):
        assert (await counters.reserve(HoldRequest("b", "p", "call-1", D("4"), D("10"), 60))).ok
    assert (await counters.usage("b", "p")).held == D("4")


async def test_release_drops_a_hold_without_counting_a_call(counters: SpendCounters) -> None:
    await counters.reserve(HoldRequest("b", "p", "call-1", D("4"), D("10"), 60))
    assert await counters.release("b", "p", "call-1") == CounterState(D("0"), D("0"), 0, 0)


async def test_rebuild_sets_spend_from_the_truth_and_keeps_live_holds(
    counters: SpendCounters,
) -> None:
    await counters.settle("b", "p", "old", D("3"))
    await counters.reserve(HoldRequest("b", "p", "live", D("2"), D("10"), 60))
    assert await counters.rebuild("b", "p", D("7.25"), calls=40) == CounterState(
        spent=D("7.25"), held=D("2"), calls=40, holds=1
    )
    assert not (await counters.reserve(HoldRequest("b", "p", "next", D("1"), D("10"), 60))).ok


async def test_budgets_and_periods_are_independent(counters: SpendCounters) -> None:
    await counters.settle("b", "2025-05", "c1", D("10"))
    assert (await counters.reserve(HoldRequest("b", "2025-06", "c2", D("10"), D("10"), 60))).ok
    assert (await counters.reserve(HoldRequest("other", "2025-05", "c3", D("10"), D("10"), 60))).ok


async def test_large_amounts_stay_exact_in_redis(counters: SpendCounters) -> None:
    # 2**53 micro-dollars is the exactness bound of Lua numbers; stay just below it.
    big = D("9000000000.000001")
    await counters.settle("b", "p", "c1", big)
    assert (await counters.usage("b", "p")).spent == big


async def test_the_rebuilt_marker_says_whether_counters_were_lost(counters: SpendCounters) -> None:
    assert not await counters.rebuilt()  # never rebuilt (or Redis restarted empty)
    await counters.mark_rebuilt()
    assert await counters.rebuilt()
