"""Call ids are UUIDv7: version 7, RFC variant, ordered by creation time."""

from __future__ import annotations

import time
import uuid

from agentops.ids import uuid7, uuid7_time_ms, uuid_of


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


def test_uuid_of_is_the_uuid_of_that_int() -> None:
    import pickle

    for value in (0, 1, 1 << 127, (1 << 128) - 1, uuid7().int, uuid.uuid4().int):
        made, expected = uuid_of(value), uuid.UUID(int=value)
        assert type(made) is uuid.UUID
        assert made == expected
        assert hash(made) == hash(expected)
        assert (str(made), repr(made), made.is_safe) == (
            str(expected),
            repr(expected),
            expected.is_safe,
        )
        assert pickle.loads(pickle.dumps(made)) == expected
