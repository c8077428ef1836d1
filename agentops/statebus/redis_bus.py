"""The state bus over Redis: a compare-and-set publish script and a versioned reader."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from redis.asyncio import Redis

from agentops.statebus.codec import encode_announcement, encode_snapshot
from agentops.statebus.redis_keys import StateKeys
from agentops.statebus.redis_publish import versioned_publish
from agentops.wire.control import ControlSnapshot

# SET only if newer, then PUBLISH, in one script (redis_publish.py): two control-plane replicas
# racing on the same org cannot store an older version over a newer one. KEYS: the org's state,
# the index. ARGV: org, version, channel, announcement, snapshot.
_PUBLISH = versioned_publish("redis.call('SET', KEYS[1], ARGV[5])")


class RedisStatePublisher:
    """Used by the control plane after each committed change to an org's control state."""

    def __init__(self, client: Redis[Any], prefix: str) -> None:
        self._keys = StateKeys(prefix)
        self._client = client
        self._script = client.register_script(_PUBLISH)

    async def publish(self, snapshot: ControlSnapshot) -> bool:
        stored = await self._script(
            keys=[self._keys.state(snapshot.org), self._keys.index],
            args=[
                snapshot.org,
                snapshot.version,
                self._keys.channel,
                encode_announcement(snapshot),
                encode_snapshot(snapshot),
            ],
        )
        return bool(stored)


class RedisStateReader:
    """Used by proxies for the versioned pull that pairs with every pub/sub push."""

    def __init__(self, client: Redis[Any], prefix: str) -> None:
        self._keys = StateKeys(prefix)
        self._client = client

    @property
    def keys(self) -> StateKeys:
        return self._keys

    async def versions(self) -> dict[str, int]:
        raw: dict[Any, Any] = await self._client.hgetall(self._keys.index)
        found: dict[str, int] = {}
        for org, version in raw.items():
            try:
                found[_text(org)] = int(version)
            except ValueError:
                continue  # a corrupt index entry is ignored; its snapshot is fetched on push
        return found

    async def fetch(self, orgs: Sequence[str]) -> dict[str, bytes | None]:
        if not orgs:
            return {}
        values: list[Any] = await self._client.mget([self._keys.state(org) for org in orgs])
        return {org: _raw(value) for org, value in zip(orgs, values, strict=True)}


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


def _raw(value: bytes | str | None) -> bytes | None:
    return value.encode() if isinstance(value, str) else value
