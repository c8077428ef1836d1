"""GCRA rate limits: the Redis script and its in-memory twin answer alike (contract), and
replicas sharing one Redis share one allowance."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from redis.asyncio import Redis

from agentops.statebus import MemoryRateLimiter, RateLimiter, RedisRateLimiter


class Clock:
    def __init__(self) -> None:
        self.ms = 1_000_000.0

    def __call__(self) -> float:
        return self.ms


@pytest.fixture
async def aredis(redis_url: str) -> AsyncIterator[Redis[Any]]:
    client: Redis[Any] = Redis.from_url(redis_url)
    yield client
    await client.aclose()  # type: ignore[attr-defined]


async def test_memory_twin_lets_the_minute_through_then_one_per_interval() -> None:
    clock = Clock()
    limiter = MemoryRateLimiter(clock)
    assert [(await limiter.take("k", 3, 1)).allowed for _ in range(4)] == [True] * 3 + [False]
    refused = await limiter.take("k", 3, 1)
    assert 19_000 < refused.retry_after_ms <= 20_000  # one unit every 20 s
    clock.ms += 20_000
    assert (await limiter.take("k", 3, 1)).allowed
    assert not (await limiter.take("k", 3, 1)).allowed
    assert (await limiter.take("other", 3, 1)).allowed  # keys are separate allowances


async def test_a_cost_above_the_whole_limit_never_passes() -> None:
    limiter = MemoryRateLimiter(Clock())
    assert not (await limiter.take("k", 100, 101)).allowed
    assert (await limiter.take("k", 100, 100)).allowed  # and it took nothing before


async def test_replicas_on_one_redis_share_the_allowance(
    aredis: Redis[Any], redis_url: str
) -> None:
    other: Redis[Any] = Redis.from_url(redis_url)
    replicas: list[RateLimiter] = [
        RedisRateLimiter(aredis, "t:", timeout_seconds=5),
        RedisRateLimiter(other, "t:", timeout_seconds=5),
    ]
    answers = [(await replicas[i % 2].take("agent:bot", 10, 1)).allowed for i in range(14)]
    assert answers.count(True) == 10
    assert answers[:10] == [True] * 10
    refused = await replicas[0].take("agent:bot", 10, 1)
    assert 0 < refused.retry_after_ms <= 6_000
    tokens = [(await replicas[i % 2].take("tok", 1000, 300)).allowed for i in range(4)]
    assert tokens == [True, True, True, False]
    await other.aclose()  # type: ignore[attr-defined]
