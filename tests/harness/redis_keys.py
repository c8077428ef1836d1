"""Redis fixtures for tests that work on raw keys: the worker's flushed logical db, a key prefix
unique to each test (deleted before and after it), and an async client."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
import redis
from redis.asyncio import Redis


def wipe(url: str, prefix: str) -> None:
    client = redis.Redis.from_url(url)
    try:
        keys = list(client.scan_iter(match=f"{prefix}*", count=1000))
        if keys:
            client.delete(*keys)
    finally:
        client.close()


@pytest.fixture
def db_url(redis_url: str) -> str:
    return redis_url


@pytest.fixture
def prefix(db_url: str) -> Iterator[str]:
    value = f"t{uuid.uuid4().hex[:10]}:"
    wipe(db_url, value)
    yield value
    wipe(db_url, value)


@pytest.fixture
async def aredis(db_url: str) -> AsyncIterator[Redis[Any]]:
    client: Redis[Any] = Redis.from_url(db_url)
    yield client
    await client.aclose()  # type: ignore[attr-defined]
