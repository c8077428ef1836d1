"""The key directory contract, held by Redis and the in-process bus alike."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from redis.asyncio import Redis

from agentops.statebus import KeyEntry, MemoryStateBus, RedisKeyDirectory, decode_entry
from agentops.statebus.directory import KeyDirectory


@pytest.fixture(params=["memory", "redis"])
async def directory(
    request: pytest.FixtureRequest, aredis: Redis[Any], prefix: str
) -> KeyDirectory:
    return MemoryStateBus() if request.param == "memory" else RedisKeyDirectory(aredis, prefix)


def entry(public_id: str, org: str = "acme", **fields: Any) -> KeyEntry:
    return KeyEntry(public_id=public_id, org=org, secret_hash="ab" * 32, **fields)


async def ids(directory: KeyDirectory) -> set[str]:
    return set((await directory.key_directory())[1])


async def test_an_orgs_entries_are_published_whole_and_read_back(directory: KeyDirectory) -> None:
    expires = datetime(2030, 1, 1, tzinfo=UTC)
    assert await directory.publish_keys("acme", 1, [entry("a1", agent="bot", expires_at=expires)])
    assert await directory.publish_keys("globex", 4, [entry("g1", org="globex")])

    versions, raw = await directory.key_directory()

    assert versions == {"acme": 1, "globex": 4} == await directory.key_versions()
    assert decode_entry(raw["a1"], public_id="a1") == entry("a1", agent="bot", expires_at=expires)
    assert decode_entry(raw["g1"], public_id="g1").org == "globex"


async def test_a_publish_replaces_the_orgs_entries_only(directory: KeyDirectory) -> None:
    await directory.publish_keys("acme", 1, [entry("a1"), entry("a2")])
    await directory.publish_keys("globex", 1, [entry("g1", org="globex")])

    assert await directory.publish_keys("acme", 2, [entry("a2")])  # a1 revoked

    assert await ids(directory) == {"a2", "g1"}


async def test_an_older_or_equal_version_never_overwrites(directory: KeyDirectory) -> None:
    await directory.publish_keys("acme", 5, [])  # the key was revoked at version 5

    assert not await directory.publish_keys("acme", 4, [entry("a1")])  # a slow republish
    assert not await directory.publish_keys("acme", 5, [entry("a1")])
    assert await ids(directory) == set()


async def test_no_secret_field_exists_only_its_hash() -> None:
    assert set(KeyEntry.model_fields) == {"public_id", "org", "secret_hash", "agent", "expires_at"}
    assert "ab" * 32 not in repr(entry("a1"))
