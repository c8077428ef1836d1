"""A proxy's holder fed from real Redis: push, resync, reconnect, and a dead server."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

import pytest
import redis
from redis.asyncio import Redis

from agentops.settings import ProxySettings, load_settings
from agentops.statebus import RedisStatePublisher, StateKeys, encode_snapshot
from agentops.wire.control import ControlSnapshot
from proxy.control.gate import ControlGate
from proxy.control.holder import ControlStateHolder
from proxy.control.metrics import STATE_STORE_EMPTY
from proxy.control.redis_source import RedisStateSource
from proxy.decision import Call
from tests.harness.builders import FakeClock, rule, snap, wait_until
from tests.harness.ports import free_port


@asynccontextmanager
async def running(
    url: str,
    prefix: str,
    *,
    resync: float = 60.0,
    name: str = "agentops-proxy-state",
    holder: ControlStateHolder | None = None,
) -> AsyncIterator[tuple[ControlStateHolder, RedisStateSource]]:
    holder = holder or ControlStateHolder()
    source = RedisStateSource(
        holder, redis_url=url, prefix=prefix, resync_seconds=resync, client_name=name
    )
    await source.start()
    try:
        yield holder, source
    finally:
        await source.close()


def call(agent: str) -> Call:
    return Call("acme", agent, "run-1", "openai", "chat", None)


def write_silently(url: str, prefix: str, snapshot: ControlSnapshot) -> None:
    """Store a snapshot without announcing it: what a subscriber sees when a message is lost."""
    keys = StateKeys(prefix)
    client = redis.Redis.from_url(url)
    client.set(keys.state(snapshot.org), encode_snapshot(snapshot))
    client.hset(keys.index, snapshot.org, snapshot.version)
    client.close()


def resynced_twice(holder: ControlStateHolder) -> Callable[[], bool]:
    """True once two more full resyncs have completed (so the current store was seen)."""
    target = holder.syncs + 2
    return lambda: holder.syncs >= target


def at(holder: ControlStateHolder, version: int, org: str = "acme") -> Callable[[], bool]:
    return lambda: holder.version(org) == version


async def test_a_published_change_reaches_the_holder(
    db_url: str, prefix: str, aredis: Redis[Any]
) -> None:
    publisher = RedisStatePublisher(aredis, prefix)
    await publisher.publish(snap(version=1))
    async with running(db_url, prefix) as (holder, _):
        await wait_until(lambda: holder.ready)
        assert holder.version("acme") == 1  # loaded by the first resync
        await publisher.publish(snap(version=2, rules=[rule("agent", "bot")]))
        await wait_until(at(holder, 2))  # pushed: the resync period here is a minute


async def test_missed_changes_are_applied_after_the_connection_is_cut(
    db_url: str, prefix: str, aredis: Redis[Any]
) -> None:
    name = f"state-{prefix.rstrip(':')}"
    async with running(db_url, prefix, name=name) as (holder, source):
        await wait_until(lambda: source.sessions == 1)
        write_silently(db_url, prefix, snap(version=5))  # the announcement is lost
        clients = await aredis.client_list()
        for client in clients:
            if client["name"] == name:
                await aredis.client_kill_filter(_id=client["id"])
        await wait_until(lambda: source.sessions == 2)
        assert holder.version("acme") == 5  # the reconnect's resync found it


async def test_the_periodic_resync_heals_a_lost_message(db_url: str, prefix: str) -> None:
    async with running(db_url, prefix, resync=0.05) as (holder, _):
        await wait_until(lambda: holder.ready)
        write_silently(db_url, prefix, snap(version=3))
        await wait_until(at(holder, 3))


async def test_an_older_version_never_overwrites_a_newer_one(
    db_url: str, prefix: str, aredis: Redis[Any]
) -> None:
    publisher = RedisStatePublisher(aredis, prefix)
    async with running(db_url, prefix, resync=0.02) as (holder, _):
        await publisher.publish(snap(version=7, rules=[rule("org", "acme")]))
        await wait_until(at(holder, 7))
        write_silently(db_url, prefix, snap(version=6))  # e.g. a restored backup
        await wait_until(resynced_twice(holder))
        held = holder.get("acme")
        assert held is not None
        assert (held.version, [r.scope for r in held.rules]) == (7, ["org"])


async def test_a_kill_is_sticky_across_a_malformed_and_a_vanished_snapshot(
    db_url: str, prefix: str, aredis: Redis[Any]
) -> None:
    keys = StateKeys(prefix)
    publisher = RedisStatePublisher(aredis, prefix)
    await publisher.publish(snap(version=1, rules=[rule("agent", "bot")]))
    async with running(db_url, prefix, resync=0.02) as (holder, _):
        gate = ControlGate(holder, ProxySettings())
        await wait_until(at(holder, 1))
        await aredis.set(keys.state("acme"), b'{"org": "acme", "version": 2, "rules": "oops"}')
        await aredis.hset(keys.index, "acme", 2)
        await wait_until(lambda: holder.rejected > 2)
        assert (await gate.decide(call("bot"))).code == "agent_killed"
        await aredis.delete(keys.state("acme"), keys.index)
        # A store that lost every held org (Redis restarted empty) confirms nothing: the kill
        # stays, and the state's age keeps growing until the control plane republishes.
        empty_reads, syncs = STATE_STORE_EMPTY._value.get(), holder.syncs
        await wait_until(lambda: STATE_STORE_EMPTY._value.get() >= empty_reads + 2)
        assert holder.syncs == syncs
        assert (await gate.decide(call("bot"))).code == "agent_killed"
        await publisher.publish(snap(version=3))  # the index is gone, so 3 is accepted
        await wait_until(at(holder, 3))
        assert (await gate.decide(call("bot"))).allowed


async def test_a_dead_redis_opens_the_breaker_and_the_hot_path_stays_in_memory() -> None:
    dead = f"redis://127.0.0.1:{free_port()}/0"
    async with running(dead, "p:", resync=0.05) as (holder, source):
        gate = ControlGate(holder, ProxySettings())
        await wait_until(lambda: source.breaker.state != "closed")
        decision = await gate.decide(call("bot"))
        assert (decision.status, decision.code) == (503, "control_state_unavailable")
        assert not gate.health().ready


@pytest.mark.parametrize(("mode", "status"), [("keep_last_known", 200), ("refuse_all", 503)])
async def test_after_losing_redis_the_last_snapshot_serves_until_the_stale_mode_applies(
    db_url: str, prefix: str, aredis: Redis[Any], mode: str, status: int
) -> None:
    await RedisStatePublisher(aredis, prefix).publish(snap(version=1, rules=[rule("agent", "bot")]))
    clock = FakeClock()
    holder = ControlStateHolder(clock=clock)
    gate = ControlGate(holder, ProxySettings(stale_state_mode=mode, state_max_age_seconds=300))
    async with running(db_url, prefix, holder=holder) as (_, source):
        await wait_until(at(holder, 1))
        await source.close()  # Redis is gone for good: nothing confirms the state any more
    clock.advance(299)
    assert (await gate.decide(call("bot"))).code == "agent_killed"
    assert (await gate.decide(call("other"))).allowed
    clock.advance(2)
    assert gate.health().age_seconds == 301
    assert (await gate.decide(call("bot"))).code == "agent_killed"  # sticky
    assert (await gate.decide(call("other"))).status == status


def test_from_settings_reads_the_one_settings_object(tmp_path: Any) -> None:
    settings = load_settings(
        home=tmp_path,
        control_plane={"redis_url": "redis://127.0.0.1:1/0", "redis_prefix": "x:"},
        proxy={"state_resync_seconds": 2.0},
    )
    source = RedisStateSource.from_settings(ControlStateHolder(), settings)
    assert source.breaker.state == "closed"
