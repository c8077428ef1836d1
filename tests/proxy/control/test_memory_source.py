"""Embedded mode: the holder follows the in-process bus."""

from __future__ import annotations

from agentops.statebus import MemoryStateBus
from proxy.control.holder import ControlStateHolder
from proxy.control.memory_source import MemoryStateSource
from tests.harness.builders import rule, snap, wait_until


async def test_state_published_before_start_is_loaded_and_makes_the_holder_ready() -> None:
    bus = MemoryStateBus()
    await bus.publish(snap(version=4))
    holder = ControlStateHolder()
    source = MemoryStateSource(bus, holder, resync_seconds=60)
    assert not holder.ready
    await source.start()
    assert (holder.ready, holder.version("acme")) == (True, 4)
    await source.close()


async def test_a_publish_is_in_force_when_publish_returns() -> None:
    bus = MemoryStateBus()
    holder = ControlStateHolder()
    source = MemoryStateSource(bus, holder, resync_seconds=60)
    await source.start()
    await bus.publish(snap(version=1, rules=[rule("org", "acme")]))
    assert holder.version("acme") == 1
    await source.close()
    await bus.publish(snap(version=2))
    assert holder.version("acme") == 1  # closed: no longer listening


async def test_the_periodic_resync_heals_a_corrupt_value_once_it_is_fixed() -> None:
    bus = MemoryStateBus()
    holder = ControlStateHolder()
    source = MemoryStateSource(bus, holder, resync_seconds=0.01)
    await source.start()
    bus.put_raw("acme", 1, b"corrupt")
    await wait_until(lambda: holder.rejected > 0)
    assert holder.get("acme") is None
    await bus.publish(snap(version=2))
    await wait_until(lambda: holder.version("acme") == 2)
    await source.close()
