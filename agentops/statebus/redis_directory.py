"""The key directory over Redis: a hash of entries, a per-org index, one announcement channel.

``{prefix}keys`` maps public id -> entry JSON (a proxy pulls it whole: it is small);
``{prefix}keys:index`` maps org -> the version its entries were published at;
``{prefix}keys:org:<org>`` is the set of the org's public ids, so a publish can drop the
entries it no longer lists. Publishing is one script: compare versions, replace, announce.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from redis.asyncio import Redis

from agentops.statebus.directory import (
    KeyEntry,
    encode_entry,
    encode_key_announcement,
    parse_versions,
)
from agentops.statebus.redis_keys import StateKeys
from agentops.statebus.redis_publish import versioned_publish

# KEYS: entries hash, index hash, the org's id set. ARGV: org, version, channel, announcement,
# then public id / entry pairs. HDEL one id at a time: unpack() of a long list overflows Lua's
# stack.
_PUBLISH_KEYS = versioned_publish("""
for _, id in ipairs(redis.call('SMEMBERS', KEYS[3])) do
  redis.call('HDEL', KEYS[1], id)
end
redis.call('DEL', KEYS[3])
for i = 5, #ARGV, 2 do
  redis.call('HSET', KEYS[1], ARGV[i], ARGV[i + 1])
  redis.call('SADD', KEYS[3], ARGV[i])
end
""")


class RedisKeyDirectory:
    """Publisher (control plane) and reader (proxies) of the key directory."""

    def __init__(self, client: Redis[Any], prefix: str) -> None:
        self.keys = StateKeys(prefix)
        self._client = client
        self._script = client.register_script(_PUBLISH_KEYS)

    async def publish_keys(self, org: str, version: int, entries: Sequence[KeyEntry]) -> bool:
        pairs: list[str] = []
        for entry in entries:
            if entry.org != org:
                raise ValueError(f"key {entry.public_id!r} of org {entry.org!r} listed in {org!r}")
            pairs += [entry.public_id, encode_entry(entry)]
        stored = await self._script(
            keys=[self.keys.key_entries, self.keys.key_index, self.keys.org_key_ids(org)],
            args=[
                org,
                version,
                self.keys.key_channel,
                encode_key_announcement(org, version),
                *pairs,
            ],
        )
        return bool(stored)

    async def key_versions(self) -> dict[str, int]:
        raw: dict[Any, Any] = await self._client.hgetall(self.keys.key_index)
        return parse_versions(raw)

    async def key_directory(self) -> tuple[dict[str, int], dict[str, bytes]]:
        async with self._client.pipeline(transaction=True) as pipe:
            pipe.hgetall(self.keys.key_index)
            pipe.hgetall(self.keys.key_entries)
            index, entries = await pipe.execute()
        return parse_versions(index), {_text(k): _raw(v) for k, v in entries.items()}


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


def _raw(value: bytes | str) -> bytes:
    return value.encode() if isinstance(value, str) else value
