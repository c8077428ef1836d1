"""Hard budgets end to end, short of the proxy's addon wiring: the control plane's rules in a
snapshot, ControlGate reserving worst-case estimates on the shared Redis counters under heavy
concurrency, settling real costs, and the worker's reconciliation rebuilding the counters from
the calls after Redis loses them.

Several gates stand in for several proxy replicas (each its own Redis connection and holder).
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from redis.asyncio import Redis

import pricing
from agentops.settings import ProxySettings
from agentops.statebus import RedisSpendCounters
from agentops.wire.control import ControlSnapshot
from control_plane import app_keys
from control_plane.jobs.budgets import rebuild_lost_spend_counters, reconcile_spend_counters
from control_plane.services.budgets import budget_rules
from control_plane.services.spend_rebuild import reconcile_org
from proxy.control.gate import ControlGate
from proxy.control.holder import ControlStateHolder
from tests.harness.api_org import Org, app_of, call_record

PREFIX = "agentops:"


@pytest.fixture
async def redis_clients(redis_url: str) -> AsyncIterator[list[Redis]]:  # type: ignore[type-arg]
    clients = [Redis.from_url(redis_url) for _ in range(4)]
    yield clients
    for client in clients:
        await client.aclose()  # type: ignore[attr-defined]


async def snapshot_for(org: Org) -> ControlSnapshot:
    app = app_of(org)
    org_id = uuid.UUID(org.owner.org_id)
    async with app[app_keys.DATABASE].transaction(org_id) as session:
        rules = await budget_rules(session, org_id)
    return ControlSnapshot(org=org.slug, version=1, generated_at=datetime.now(UTC), budgets=rules)


def replica(snapshot: ControlSnapshot, client: Redis) -> ControlGate:  # type: ignore[type-arg]
    holder = ControlStateHolder()
    holder.apply(snapshot)
    holder.mark_synced()
    counters = RedisSpendCounters(client, PREFIX, timeout_seconds=5.0)
    return ControlGate(holder, ProxySettings(), counters)


async def test_parallel_calls_never_overspend_a_hard_budget(
    org: Org,
    redis_clients: list[Redis],  # type: ignore[type-arg]
) -> None:
    await org.agent("bot")
    await org.owner.ok("POST", "/budgets", 201, json={
        "name": "bot-cap", "scope": "agent", "target": "bot", "period": "daily",
        "limit_usd": "0.01", "enforcement": "hard",
    })  # fmt: skip
    gates = [replica(await snapshot_for(org), client) for client in redis_clients]
    estimate = pricing.estimate_worst_case_cost("gpt-4o-mini", 1000, 500, provider="openai")
    assert estimate is not None
    real = estimate / 3  # what the calls really cost once the provider answers

    async def one_call(i: int) -> bool:
        gate = gates[i % len(gates)]
        reservation = await gate.reserve_budget(
            org.slug, "bot", f"run-{i}", "openai", "gpt-4o-mini", estimate, hold_id=f"call-{i}"
        )
        if not reservation.decision.allowed:
            assert reservation.decision.status == 429
            assert "bot-cap" in reservation.decision.message
            return False
        await asyncio.sleep(0)  # the upstream call, while others reserve
        await gate.settle(reservation, real)
        return True

    allowed = await asyncio.gather(*(one_call(i) for i in range(200)))
    counters = RedisSpendCounters(redis_clients[0], PREFIX)
    [rule] = (await snapshot_for(org)).budgets
    usage = await counters.usage(rule.budget_id, rule.period_key)
    assert usage.held == 0
    assert usage.calls == sum(allowed)
    assert usage.spent <= Decimal("0.01")  # never over the limit
    # No call was refused while a worst-case estimate still fitted beside the holds.
    assert sum(allowed) >= int(Decimal("0.01") / estimate)


async def test_reconciliation_rebuilds_counters_from_the_calls_after_redis_loses_them(
    org: Org,
    redis_clients: list[Redis],  # type: ignore[type-arg]
) -> None:
    await org.agent("bot")
    await org.owner.ok("POST", "/budgets", 201, json={
        "name": "cap", "scope": "org", "period": "monthly", "limit_usd": "5", "enforcement": "hard",
    })  # fmt: skip
    now = datetime.now(UTC)
    await org.ingest_calls(
        call_record(org.slug, "bot", "1.5", now), call_record(org.slug, "bot", "2", now)
    )
    client = redis_clients[0]
    await client.flushdb()  # Redis restarted empty
    counters = RedisSpendCounters(client, PREFIX)
    app = app_of(org)
    org_id = uuid.UUID(org.owner.org_id)
    async with app[app_keys.DATABASE].transaction(org_id) as session:
        assert await reconcile_org(session, org_id, counters, now) == 1
    [rule] = (await snapshot_for(org)).budgets
    usage = await counters.usage(rule.budget_id, rule.period_key)
    assert (usage.spent, usage.calls) == (Decimal("3.5"), 2)

    gate = replica(await snapshot_for(org), client)
    refused = await gate.reserve_budget(
        org.slug, "bot", "r", "openai", "gpt-4o", Decimal("1.6"), hold_id="big"
    )
    assert refused.decision.status == 429
    assert refused.decision.code == "budget_exceeded"
    allowed = await gate.reserve_budget(
        org.slug, "bot", "r", "openai", "gpt-4o", Decimal("1.5"), hold_id="fits"
    )
    assert allowed.decision.allowed


async def test_hard_budgets_fail_closed_when_the_counters_are_unreachable(org: Org) -> None:
    await org.agent("bot")
    await org.owner.ok("POST", "/budgets", 201, json={
        "name": "cap", "scope": "org", "limit_usd": "5", "enforcement": "hard",
    })  # fmt: skip
    dead = Redis(host="127.0.0.1", port=1, socket_connect_timeout=0.2)
    try:
        gate = replica(await snapshot_for(org), dead)
        result = await gate.reserve_budget(
            org.slug, "bot", "r", "openai", "gpt-4o", Decimal("0.01"), hold_id="x"
        )
    finally:
        await dead.aclose()  # type: ignore[attr-defined]
    assert result.decision.status == 503
    assert result.decision.code == "budget_state_unavailable"


async def test_lost_counters_are_rebuilt_at_the_next_tick_not_the_next_minute(
    org: Org,
    redis_clients: list[Redis],  # type: ignore[type-arg]
) -> None:
    await org.owner.ok(
        "POST",
        "/budgets",
        201,
        json={
            "name": "cap",
            "scope": "agent",
            "target": "bot",
            "period": "monthly",
            "limit_usd": "5",
            "enforcement": "hard",
        },
    )  # fmt: skip  (bot has not called yet: the budget registers it)
    now = datetime.now(UTC)
    await org.ingest_calls(call_record(org.slug, "bot", "1.5", now))
    app = app_of(org)
    context = app[app_keys.JOB_CONTEXT]
    await reconcile_spend_counters(context)  # the periodic rebuild (then due again in a minute)
    [rule] = (await snapshot_for(org)).budgets
    counters = app[app_keys.SPEND_COUNTERS]
    assert (await counters.usage(rule.budget_id, rule.period_key)).spent == Decimal("1.5")

    await redis_clients[0].flushdb()  # Redis restarted empty (no persistence)
    assert not await counters.rebuilt()
    await rebuild_lost_spend_counters(context)  # the next worker tick
    usage = await counters.usage(rule.budget_id, rule.period_key)
    print(f"\ncounters lost: rebuilt at the next tick, spent {usage.spent} of 5")
    assert (usage.spent, usage.calls) == (Decimal("1.5"), 1)
    assert await counters.rebuilt()
