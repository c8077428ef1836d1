"""The in-memory state: versions only move forward, and a kill is sticky."""

from __future__ import annotations

import pytest

from agentops.statebus import encode_snapshot
from agentops.wire.control import ControlSnapshot
from proxy.control.holder import ControlStateHolder
from proxy.decision import Call, StateHealth, decide
from tests.harness.builders import FakeClock, rule, snap

FRESH = StateHealth(True, "fresh", 0.0, 5)
KILLED = snap(version=3, rules=[rule("agent", "bot")])


def test_only_strictly_newer_versions_are_applied() -> None:
    holder = ControlStateHolder()
    assert holder.apply(snap(version=2))
    assert not holder.apply(snap(version=2, rules=[rule("org", "acme")]))
    assert not holder.apply(snap(version=1))
    assert holder.apply(snap(version=3))
    assert holder.version("acme") == 3
    assert holder.version("nobody") == -1


def _allowed(holder: ControlStateHolder) -> bool:
    return decide(
        holder.get("acme"), Call("acme", "bot", "r", "openai", "chat", None), health=FRESH
    ).allowed


@pytest.mark.parametrize(
    "what_follows",
    [
        b"{not json",
        b'{"org": "acme", "version": 4}',
        encode_snapshot(snap(org="other", version=9)).encode(),
        encode_snapshot(snap(version=2)).encode(),  # an older "resumed" state
        encode_snapshot(snap(version=3)).encode(),  # same version, different content
    ],
    ids=["garbage", "incomplete", "wrong-org", "older-resume", "same-version-resume"],
)
def test_a_kill_survives_whatever_is_not_a_newer_resume(what_follows: bytes) -> None:
    holder = ControlStateHolder()
    holder.apply(KILLED)
    assert not holder.apply_raw("acme", what_follows)
    assert not _allowed(holder)


def test_only_a_newer_version_lifts_a_kill() -> None:
    holder = ControlStateHolder()
    holder.apply(KILLED)
    assert holder.apply_raw("acme", encode_snapshot(snap(version=4)).encode())
    assert _allowed(holder)


def test_malformed_state_is_counted() -> None:
    holder = ControlStateHolder()
    holder.apply_raw("acme", b"nope")
    holder.apply_raw("acme", b"[]")
    assert holder.rejected == 2


def test_ready_after_the_first_full_sync_and_age_counts_from_the_last() -> None:
    clock = FakeClock()
    holder = ControlStateHolder(clock=clock)
    holder.apply(snap())  # a pushed snapshot alone does not make the state complete
    assert (holder.ready, holder.age_seconds()) == (False, None)
    holder.mark_synced()
    clock.advance(12)
    assert (holder.ready, holder.age_seconds()) == (True, 12)
    holder.mark_synced()
    assert holder.age_seconds() == 0


def test_listeners_hear_applied_snapshots_only() -> None:
    holder = ControlStateHolder()
    heard: list[ControlSnapshot] = []
    remove = holder.add_listener(heard.append)
    holder.apply(snap(version=1))
    holder.apply(snap(version=1))
    remove()
    holder.apply(snap(version=2))
    assert [s.version for s in heard] == [1]


def test_the_age_gauge_reads_the_serving_holder() -> None:
    from prometheus_client import REGISTRY

    from proxy.control.metrics import track_state_age

    clock = FakeClock()
    holder = ControlStateHolder(clock=clock)
    track_state_age(holder.age_seconds)
    gauge = "agentops_proxy_control_state_age_seconds"
    assert REGISTRY.get_sample_value(gauge) == float("inf")  # never synced
    holder.mark_synced()
    clock.advance(42)
    assert REGISTRY.get_sample_value(gauge) == 42
