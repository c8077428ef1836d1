"""Errors of the state bus and the spend counters, all under one base class."""

from __future__ import annotations


class StateBusError(Exception):
    """Base of every error raised by ``agentops.statebus``."""


class MalformedState(StateBusError, ValueError):
    """A stored snapshot or announcement does not parse or does not match its key."""


class CounterUnavailable(StateBusError):
    """The spend counter store could not be reached in time; the caller applies its fail mode."""


def unreachable_errors() -> tuple[type[Exception], ...]:
    """What a Redis call raises when Redis cannot answer in time. Imported when a Redis-backed
    store is built, so that a process without Redis never imports the client (~7 MiB)."""
    from redis.exceptions import RedisError

    return (RedisError, OSError, TimeoutError)
