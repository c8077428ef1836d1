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
    return uuid.UUID(int=value)


def uuid7_time_ms(value: uuid.UUID) -> int:
    """The millisecond timestamp a UUIDv7 carries."""
    return value.int >> 80


def new_request_id() -> str:
    return uuid.uuid4().hex[:16]
