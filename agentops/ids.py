"""Identifiers: UUIDv7 call ids (time-ordered, so inserts stay index-friendly)."""

from __future__ import annotations

import os
import time
import uuid


def uuid7() -> uuid.UUID:
    """A RFC 9562 version 7 UUID: 48-bit Unix ms timestamp, then random bits."""
    ms = time.time_ns() // 1_000_000
    rand = int.from_bytes(os.urandom(10), "big")
    value = (ms & ((1 << 48) - 1)) << 80
    value |= 0x7 << 76
    value |= (rand >> 62 & 0xFFF) << 64
    value |= 0b10 << 62
    value |= rand & ((1 << 62) - 1)
    return uuid_of(value)


_new = object.__new__
_set = object.__setattr__


def uuid_of(value: int) -> uuid.UUID:
    """``uuid.UUID(int=value)`` for a value known to fit in 128 bits, without the checks of
    ``UUID.__init__`` (its keyword dispatch was most of a call id's cost on the proxy's hot
    path): the same two slots set the same way."""
    made = _new(uuid.UUID)
    _set(made, "int", value)
    _set(made, "is_safe", uuid.SafeUUID.unknown)
    return made


def uuid7_time_ms(value: uuid.UUID) -> int:
    """The millisecond timestamp a UUIDv7 carries."""
    return value.int >> 80


def new_request_id() -> str:
    return uuid.uuid4().hex[:16]
