"""Run counters: the Redis script and its in-memory twin answer alike (contract), replicas on
one Redis count one run, and a paused run counts nothing more."""

from __future__ import annotations

from typing import Any

import pytest
from redis.asyncio import Redis

from agentops.statebus import MemoryRunCounters, RedisRunCounters, RunCall, RunCounters


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture(params=["memory", "redis"])
def counters(request: pytest.FixtureRequest, aredis: Redis[Any], prefix: str) -> RunCounters:
    if request.param == "memory":
        return MemoryRunCounters()
    return RedisRunCounters(aredis, prefix, timeout_seconds=5)


def step(
    run: str, prompt: str, tokens: int, tool: str = "", windows: tuple[int, ...] = (60,)
) -> RunCall:
    return RunCall(run, prompt, tool, tokens, windows)


async def test_calls_tokens_growth_and_repeats_per_run(counters: RunCounters) -> None:
    first = await counters.count(step("o:r1", "p1", 100, "t1"))
    assert (first.calls, first.tokens, first.growth) == (1, 100, 0)
    assert (first.prompt_repeats, first.tool_repeats) == ({60: 1}, {60: 1})
    second = await counters.count(step("o:r1", "p2", 150, "t1"))
    assert (second.calls, second.tokens, second.growth) == (2, 250, 1)
    assert (second.prompt_repeats, second.tool_repeats) == ({60: 1}, {60: 2})
    third = await counters.count(step("o:r1", "p2", 120))  # shrank: the streak restarts
    assert (third.calls, third.growth, third.prompt_repeats, third.tool_repeats) == (
        3, 0, {60: 2}, {60: 0}
    )  # fmt: skip
    other = await counters.count(step("o:r2", "p2", 10))  # another run counts apart
    assert (other.calls, other.tokens, other.prompt_repeats) == (1, 10, {60: 1})


async def test_a_paused_run_counts_nothing_and_says_why(counters: RunCounters) -> None:
    await counters.count(step("o:r1", "p", 1))
    await counters.pause("o:r1", "policy 'loops' paused it", 60)
    paused = await counters.count(step("o:r1", "p", 1))
    assert paused.paused == "policy 'loops' paused it"
    assert (await counters.count(step("o:r2", "p", 1))).paused is None


async def test_a_resumed_run_counts_again_from_where_it_was(counters: RunCounters) -> None:
    await counters.count(step("o:r1", "p", 5))
    await counters.pause("o:r1", "why", 600)
    await counters.pause("o:r2", "why", 600)
    assert await counters.paused("o:r1") == "why"
    assert await counters.resume("o:r1") is True
    assert await counters.paused("o:r1") is None
    assert await counters.resume("o:r1") is False  # nothing left to lift
    again = await counters.count(step("o:r1", "q", 7))
    assert (again.paused, again.calls, again.tokens) == (None, 2, 12)
    assert await counters.paused("o:r2") == "why"  # only the run named


async def test_memory_repeat_window_and_pause_expire() -> None:
    clock = Clock()
    counters = MemoryRunCounters(clock)
    for _ in range(3):
        await counters.count(step("o:r", "p", 1))
    clock.now += 61  # the window opened at the first sighting is over
    assert (await counters.count(step("o:r", "p", 1))).prompt_repeats == {60: 1}
    await counters.pause("o:r", "why", 30)
    assert (await counters.count(step("o:r", "p", 1))).paused == "why"
    clock.now += 31
    assert (await counters.count(step("o:r", "p", 1))).paused is None


async def test_replicas_on_one_redis_count_one_run(
    aredis: Redis[Any], redis_url: str, prefix: str
) -> None:
    other: Redis[Any] = Redis.from_url(redis_url)
    replicas = [RedisRunCounters(aredis, prefix, timeout_seconds=5),
                RedisRunCounters(other, prefix, timeout_seconds=5)]  # fmt: skip
    answers = [await replicas[i % 2].count(step("o:r", "same", 5)) for i in range(6)]
    assert [a.prompt_repeats[60] for a in answers] == [1, 2, 3, 4, 5, 6]
    assert answers[-1].calls == 6
    ttl = await aredis.ttl(f"{prefix}run:{{o:r}}:p:60:same")
    assert 0 < ttl <= 60
    await other.aclose()  # type: ignore[attr-defined]
