"""Key naming and the wire encoding of snapshots and announcements."""

from __future__ import annotations

import pytest

from agentops.statebus import (
    Announcement,
    MalformedState,
    StateKeys,
    decode_announcement,
    decode_snapshot,
    encode_snapshot,
    spend_keys,
)
from tests.harness.builders import budget, rule, snap


def test_state_keys_follow_the_documented_names() -> None:
    keys = StateKeys("agentops:")
    assert keys.state("acme") == "agentops:state:acme"
    assert keys.index == "agentops:state:index"
    assert keys.channel == "agentops:state:changed"


def test_the_index_slug_is_reserved_so_no_org_can_overwrite_the_index() -> None:
    with pytest.raises(ValueError, match="reserved"):
        StateKeys("p:").state("index")


def test_spend_keys_group_one_budget_period() -> None:
    assert spend_keys("p:", "b1", "2025-06") == [
        "p:spend:b1:2025-06",
        "p:spend:b1:2025-06:holds",
        "p:spend:b1:2025-06:amounts",
    ]


def test_a_snapshot_survives_encoding_exactly() -> None:
    original = snap(rules=[rule("agent", "bot")], budgets=[budget(limit="12.345678")])
    assert decode_snapshot(encode_snapshot(original), org="acme") == original


@pytest.mark.parametrize(
    "raw",
    [
        b"not json",
        b"{}",
        b'{"org": "acme", "version": -1, "generated_at": "2025-06-01T00:00:00Z"}',
        b'{"org": "acme", "version": 2, "generated_at": "2025-06-01T00:00:00Z", "surprise": 1}',
    ],
    ids=["garbage", "empty", "negative-version", "unknown-field"],
)
def test_malformed_snapshots_are_rejected(raw: bytes) -> None:
    with pytest.raises(MalformedState):
        decode_snapshot(raw)


def test_a_snapshot_stored_under_another_orgs_key_is_rejected() -> None:
    with pytest.raises(MalformedState, match="stored under"):
        decode_snapshot(encode_snapshot(snap(org="other")), org="acme")


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (b'{"org": "acme", "version": 3}', Announcement("acme", 3)),
        (b'{"org": "acme"}', None),
        (b'{"org": 1, "version": 3}', None),
        (b'{"org": "acme", "version": "3"}', None),
        (b'{"org": "acme", "version": true}', None),
        (b"[]", None),
        (b"\xff", None),
    ],
)
def test_announcements_decode_or_are_rejected(raw: bytes, expected: Announcement | None) -> None:
    if expected is None:
        with pytest.raises(MalformedState):
            decode_announcement(raw)
    else:
        assert decode_announcement(raw) == expected
