"""Call ids are UUIDv7: version 7, RFC variant, ordered by creation time."""

from __future__ import annotations

import time
import uuid

from agentops.ids import uuid7, uuid7_time_ms


def test_uuid7_has_version_7_and_the_rfc_variant() -> None:
    value = uuid7()
    assert value.version == 7
    assert value.variant == uuid.RFC_4122


def test_uuid7_carries_the_current_millisecond() -> None:
    before = time.time_ns() // 1_000_000
    value = uuid7()
    after = time.time_ns() // 1_000_000
    assert before <= uuid7_time_ms(value) <= after


def test_uuid7_sorts_by_time_across_milliseconds() -> None:
    first = uuid7()
    time.sleep(0.002)
    second = uuid7()
    assert first < second
    assert len({uuid7() for _ in range(10_000)}) == 10_000


def test_uuid7_is_a_whole_uuid_like_any_other() -> None:
    value = uuid7()
    parsed = uuid.UUID(str(value))
    assert (parsed, hash(parsed), parsed.int, parsed.is_safe) == (
        value,
        hash(value),
        value.int,
        value.is_safe,
    )
    assert uuid.UUID(int=value.int) == value
    # 74 random bits: the low 62 and the 12 after the version nibble both vary
    values = [uuid7().int for _ in range(64)]
    assert len({v & ((1 << 62) - 1) for v in values}) == 64
    assert len({v >> 64 & 0xFFF for v in values}) > 1
