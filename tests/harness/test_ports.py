"""The port allocator of the tests: never the ephemeral range, never the same port twice,
never a port something listens on, disjoint slices per xdist worker."""

from __future__ import annotations

import socket

import pytest

from tests.harness import ports


def test_ports_are_below_the_ephemeral_range_and_never_repeat() -> None:
    given = [ports.free_port() for _ in range(200)]
    assert len(set(given)) == len(given)
    assert max(given) < ports._ephemeral_low()


def test_a_port_something_listens_on_is_never_given() -> None:
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        taken = listener.getsockname()[1]
        assert not ports._bindable(taken)
        assert ports._bindable(ports.free_port())


def test_workers_get_disjoint_slices(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PYTEST_XDIST_WORKER_COUNT", "4")
    slices = []
    for name in ["", "gw0", "gw1", "gw2", "gw3"]:
        monkeypatch.setenv("PYTEST_XDIST_WORKER", name)
        slices.append(set(ports._slice()))
    assert all(len(s) > 1_000 for s in slices)
    for i, a in enumerate(slices):
        for b in slices[i + 1 :]:
            assert not a & b
