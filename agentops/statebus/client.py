"""The one way a Redis client for the state bus and the counters is opened.

Tight socket timeouts, and no hidden retries: redis-py retries a failed command up to ten times
by default and silently re-subscribes a dropped pub/sub connection. Both would hide a
disconnection from our own loops, which must see it to resync on reconnect, and would stretch a
budget check far past its timeout. Our callers retry themselves, with backoff and a breaker.
"""

from __future__ import annotations

from typing import Any

from redis.asyncio import Redis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import RedisError


def connect(
    url: str, *, timeout_seconds: float = 0.2, client_name: str | None = None
) -> Redis[Any]:
    client: Redis[Any] = Redis.from_url(
        url,
        socket_timeout=timeout_seconds,
        socket_connect_timeout=timeout_seconds,
        retry=Retry(NoBackoff(), 0),
        client_name=client_name,
    )
    return client


async def warm(client: Redis[Any], scripts: tuple[str, ...] = ()) -> bool:
    """Open a connection now and load ``scripts`` into the server's cache, so the first call
    that needs the client does not pay for connecting (redis-py's handshake reads package
    metadata: milliseconds of CPU) nor for a NOSCRIPT round trip. False when Redis is not
    reachable now; the callers' own timeouts and fail modes apply later as before."""
    try:
        await client.ping()
        for script in scripts:
            await client.script_load(script)  # type: ignore[no-untyped-call]
    except (RedisError, OSError):
        return False
    return True
