"""Identifiers: UUIDv7 call ids (time-ordered, so inserts stay index-friendly)."""

from __future__ import annotations

import os
import time
import uuid

_VERSION_VARIANT = (0x7 << 76) | (0b10 << 62)
_RANDOM_BITS = (0xFFF << 64) | ((1 << 62) - 1)  # rand_a (12 bits) and rand_b (62 bits)
_MS_BITS = (1 << 48) - 1
_SAFE = uuid.SafeUUID.unknown


def uuid7() -> uuid.UUID:
    """A RFC 9562 version 7 UUID: 48-bit Unix ms timestamp, then random bits.

    Made per call (its id): set on a bare ``UUID`` as ``UUID.__init__`` would set it, without
    that constructor's argument checks (the value is in range by construction): 2.2 -> 1.5 us."""
    value = (time.time_ns() // 1_000_000 & _MS_BITS) << 80
    value |= int.from_bytes(os.urandom(10)) & _RANDOM_BITS | _VERSION_VARIANT
    made = object.__new__(uuid.UUID)
    object.__setattr__(made, "int", value)
    object.__setattr__(made, "is_safe", _SAFE)
    return made


def uuid7_time_ms(value: uuid.UUID) -> int:
    """The millisecond timestamp a UUIDv7 carries."""
    return value.int >> 80


def new_request_id() -> str:
    return uuid.uuid4().hex[:16]
