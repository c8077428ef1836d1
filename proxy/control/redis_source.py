"""Feeds a holder from Redis: pub/sub for changes, plus a periodic and on-reconnect resync.

One task owns one session at a time: subscribe, then resync (subscribing first means nothing
published in between is missed), then apply announcements as they come and resync every
``resync_seconds``. Any error ends the session; the task backs off (behind a circuit breaker)
and starts a new one, whose first act is again a full resync. The client is opened in ``start``
and closed in ``close``, nowhere else.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import time
from typing import Any, cast

from redis.asyncio import Redis
from redis.exceptions import RedisError

from agentops.settings import Settings
from agentops.statebus import (
    MalformedState,
    RedisKeyDirectory,
    RedisStateReader,
    decode_announcement,
)
from agentops.statebus.client import connect
from agentops.tasks import TaskSet
from proxy.control import sync
from proxy.control.breaker import CircuitBreaker, backoff_seconds
from proxy.control.holder import ControlStateHolder
from proxy.control.key_verifier import StateKeyVerifier
from proxy.control.metrics import BREAKER_OPEN, STATE_SYNC_FAILURES

log = logging.getLogger(__name__)

CLIENT_NAME = "agentops-proxy-state"


class RedisStateSource:
    def __init__(
        self,
        holder: ControlStateHolder,
        *,
        redis_url: str,
        prefix: str,
        resync_seconds: float,
        socket_timeout: float = 0.2,
        breaker: CircuitBreaker | None = None,
        client_name: str = CLIENT_NAME,
        verifier: StateKeyVerifier | None = None,
    ) -> None:
        self._holder = holder
        self._verifier = verifier  # fed the key directory too, when given
        self._directory: RedisKeyDirectory | None = None
        self._url = redis_url
        self._prefix = prefix
        self._resync_seconds = resync_seconds
        self._socket_timeout = socket_timeout
        self.breaker = breaker or CircuitBreaker(failure_threshold=2, reset_seconds=1.0)
        self._client_name = client_name
        self._tasks = TaskSet("redis-state-source")
        self._client: Redis[Any] | None = None
        self.sessions = 0  # sessions started (each begins with a full resync)

    @classmethod
    def from_settings(cls, holder: ControlStateHolder, settings: Settings) -> RedisStateSource:
        if settings.control_plane.redis_url is None:
            raise ValueError("redis_url is unset: use MemoryStateSource (embedded mode)")
        return cls(
            holder,
            redis_url=settings.control_plane.redis_url,
            prefix=settings.control_plane.redis_prefix,
            resync_seconds=settings.proxy.state_resync_seconds,
        )

    async def start(self) -> None:
        self._client = connect(
            self._url, timeout_seconds=self._socket_timeout, client_name=self._client_name
        )
        self._tasks.spawn(self._run(self._client), name="redis-state-source")

    async def close(self) -> None:
        await self._tasks.close()
        if self._client is not None:
            await _aclose(self._client)
            self._client = None

    async def _run(self, client: Redis[Any]) -> None:
        reader = RedisStateReader(client, self._prefix)
        self._directory = RedisKeyDirectory(client, self._prefix)
        attempt = 0
        while True:
            if self.breaker.allow():
                try:
                    await self._session(client, reader)
                except (RedisError, OSError, TimeoutError) as exc:
                    # Pooled connections may be as dead as the one that failed (a server
                    # restart or CLIENT KILL drops them all): start the next session afresh.
                    with contextlib.suppress(RedisError, OSError):
                        await client.connection_pool.disconnect()
                    self.breaker.record_failure()
                    STATE_SYNC_FAILURES.inc()
                    log.warning(
                        "control state source disconnected; serving the last snapshot",
                        extra={"error": type(exc).__name__, "age": self._holder.age_seconds()},
                    )
                BREAKER_OPEN.labels("state").set(int(self.breaker.state == "open"))
            attempt = 0 if self.breaker.state == "closed" else attempt + 1
            await asyncio.sleep(backoff_seconds(attempt, jitter=random.random()))

    async def _session(self, client: Redis[Any], reader: RedisStateReader) -> None:
        pubsub = client.pubsub()
        reconnected = _ReconnectFlag()
        try:
            await pubsub.subscribe(reader.keys.channel, reader.keys.key_channel)
            # redis-py re-establishes a dropped pub/sub connection inside get_message, even with
            # retries off, and re-subscribes: messages published meanwhile are lost without an
            # error reaching us. Its connect callback tells us, so we resync at once.
            connection = cast(Any, pubsub).connection
            if connection is not None:
                connection.register_connect_callback(reconnected.on_connect)
            await self._resync(reader)
            self.sessions += 1
            due = time.monotonic() + self._resync_seconds
            while True:
                wait = max(0.0, due - time.monotonic())
                message = await pubsub.get_message(ignore_subscribe_messages=True, timeout=wait)
                if message is not None and message.get("type") == "message":
                    await self._follow(reader, message["channel"], message["data"])
                if reconnected.take():
                    log.info("control state pub/sub reconnected; resyncing")
                    self.sessions += 1
                    await self._resync(reader)
                    due = time.monotonic() + self._resync_seconds
                if time.monotonic() >= due:
                    await self._resync(reader)
                    due = time.monotonic() + self._resync_seconds
        finally:
            await _aclose(pubsub)

    async def _resync(self, reader: RedisStateReader) -> None:
        await sync.resync(reader, self._holder, self._keys())
        self.breaker.record_success()
        BREAKER_OPEN.labels("state").set(0)

    async def _follow(
        self, reader: RedisStateReader, channel: bytes | str, data: bytes | str
    ) -> None:
        try:
            news = decode_announcement(data)
        except MalformedState:
            log.warning("malformed state announcement ignored; the resync covers it")
            return
        if _text(channel) != reader.keys.key_channel:
            await sync.follow(reader, self._holder, news)
        elif (keys := self._keys()) is not None:
            await sync.follow_keys(*keys, news)

    def _keys(self) -> tuple[RedisKeyDirectory, StateKeyVerifier] | None:
        if self._directory is None or self._verifier is None:
            return None
        return self._directory, self._verifier


class _ReconnectFlag:
    """Set by redis-py's connect callback (it must be a method: redis keeps a weak reference)."""

    def __init__(self) -> None:
        self._set = False

    async def on_connect(self, _connection: object) -> None:
        self._set = True

    def take(self) -> bool:
        was, self._set = self._set, False
        return was


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


async def _aclose(resource: object) -> None:
    # redis 8 names it aclose (close is deprecated); the installed types-redis 4.6 stubs predate
    # it, so the call goes through Any until those stubs are dropped for redis's own types.
    await cast(Any, resource).aclose()
