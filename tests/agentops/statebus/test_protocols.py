"""The state bus contract, held by the Redis bus and the in-process bus alike."""

from __future__ import annotations

import asyncio
import json
import random
from collections.abc import AsyncIterator
from typing import Any

import pytest
from redis.asyncio import Redis

from agentops.statebus import (
    MemoryStateBus,
    RedisStatePublisher,
    RedisStateReader,
    StatePublisher,
    StateReader,
    decode_snapshot,
)
from tests.harness.builders import snap


@pytest.fixture(params=["memory", "redis"])
async def bus(
    request: pytest.FixtureRequest, aredis: Redis[Any], prefix: str
) -> AsyncIterator[tuple[StatePublisher, StateReader]]:
    if request.param == "memory":
        memory = MemoryStateBus()
        yield memory, memory
    else:
        yield RedisStatePublisher(aredis, prefix), RedisStateReader(aredis, prefix)


async def test_a_published_snapshot_can_be_read_back(
    bus: tuple[StatePublisher, StateReader],
) -> None:
    publisher, reader = bus
    assert await publisher.publish(snap(version=1))
    assert await reader.versions() == {"acme": 1}
    raw = await reader.fetch(["acme", "nobody"])
    assert raw["nobody"] is None
    assert decode_snapshot(raw["acme"] or b"") == snap(version=1)


@pytest.mark.parametrize("later", [1, 4], ids=["same-version", "older-version"])
async def test_a_version_never_regresses(
    bus: tuple[StatePublisher, StateReader], later: int
) -> None:
    publisher, reader = bus
    assert await publisher.publish(snap(version=5, agents={"a": {"status": "killed"}}))
    assert not await publisher.publish(snap(version=later))
    assert await reader.versions() == {"acme": 5}
    held = decode_snapshot((await reader.fetch(["acme"]))["acme"] or b"")
    assert held.agents == {"a": {"status": "killed"}}


async def test_racing_publishers_leave_the_highest_version(
    bus: tuple[StatePublisher, StateReader],
) -> None:
    publisher, reader = bus
    versions = list(range(1, 101))
    random.Random(7).shuffle(versions)
    await asyncio.gather(*(publisher.publish(snap(version=v)) for v in versions))
    assert await reader.versions() == {"acme": 100}
    assert decode_snapshot((await reader.fetch(["acme"]))["acme"] or b"").version == 100


async def test_redis_announces_only_stored_versions(aredis: Redis[Any], prefix: str) -> None:
    publisher = RedisStatePublisher(aredis, prefix)
    pubsub = aredis.pubsub()
    await pubsub.subscribe(f"{prefix}state:changed")
    await publisher.publish(snap(version=2))
    await publisher.publish(snap(version=1))  # refused: must not be announced
    await publisher.publish(snap(version=3))
    heard = []
    async with asyncio.timeout(10):
        while len(heard) < 2:
            # None also stands for the consumed subscribe confirmation: keep reading.
            message = await pubsub.get_message(ignore_subscribe_messages=True, timeout=1)
            if message is not None:
                heard.append(json.loads(message["data"]))
    assert heard == [{"org": "acme", "version": 2}, {"org": "acme", "version": 3}]
    await pubsub.aclose()


async def test_memory_bus_announces_only_stored_versions() -> None:
    bus = MemoryStateBus()
    heard: list[int] = []
    unsubscribe = bus.subscribe(lambda news: heard.append(news.version))
    for version in (2, 1, 3):
        await bus.publish(snap(version=version))
    unsubscribe()
    await bus.publish(snap(version=4))
    assert heard == [2, 3]


async def test_a_failing_memory_listener_does_not_stop_the_others() -> None:
    bus = MemoryStateBus()
    heard: list[int] = []

    def broken(_: object) -> None:
        raise RuntimeError("boom")

    bus.subscribe(broken)
    bus.subscribe(lambda news: heard.append(news.version))
    assert await bus.publish(snap(version=1))
    assert heard == [1]
