"""The gate the proxy's addon calls: memory-only checks, and budgets on shared counters."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from decimal import Decimal as D
from typing import Any

import pytest
from redis.asyncio import Redis

from agentops.settings import ProxySettings
from agentops.statebus import (
    MemoryRunCounters,
    MemorySpendCounters,
    RedisRunCounters,
    RedisSpendCounters,
)
from proxy.control.breaker import CircuitBreaker
from proxy.control.gate import ControlGate
from proxy.control.holder import ControlStateHolder
from proxy.decision import Call, Decision
from tests.harness.builders import FakeClock, budget, rule, snap
from tests.harness.ports import free_port


def holder_with(*snapshots: Any) -> ControlStateHolder:
    holder = ControlStateHolder()
    for snapshot in snapshots:
        holder.apply(snapshot)
    holder.mark_synced()
    return holder


async def call(gate: ControlGate, agent: str = "bot", run_id: str = "run-1") -> Decision:
    return await gate.decide(Call("acme", agent, run_id, "openai", "chat", "gpt-4o"))


async def test_decide_refuses_before_the_first_snapshot_unless_started_open() -> None:
    assert (await call(ControlGate(ControlStateHolder(), ProxySettings()))).status == 503
    assert (await call(ControlGate(ControlStateHolder(), ProxySettings(start_open=True)))).allowed


async def test_decide_follows_the_held_state() -> None:
    holder = holder_with(snap(version=1, rules=[rule("agent", "bot")]))
    gate = ControlGate(holder, ProxySettings())
    assert (await call(gate)).code == "agent_killed"
    assert (await call(gate, agent="other")).allowed
    holder.apply(snap(version=2))
    assert (await call(gate)).allowed


@pytest.mark.parametrize(("mode", "status"), [("keep_last_known", 200), ("refuse_all", 503)])
async def test_stale_state_follows_the_configured_mode(mode: str, status: int) -> None:
    clock = FakeClock()
    holder = ControlStateHolder(clock=clock)
    holder.apply(snap())
    holder.mark_synced()
    gate = ControlGate(holder, ProxySettings(stale_state_mode=mode, state_max_age_seconds=60))
    assert (await call(gate)).allowed
    clock.advance(61)
    assert (await call(gate)).status == status
    assert gate.health().age_seconds == 61


async def test_an_allowed_call_under_a_hard_budget_carries_its_holds_until_settled() -> None:
    counters = MemorySpendCounters()
    gate = ControlGate(
        holder_with(snap(budgets=[budget("b1", limit="1")])), ProxySettings(), counters
    )
    priced = Call(
        "acme",
        "bot",
        "r",
        "openai",
        "chat",
        "gpt-4o",
        max_output_tokens=10,
        call_id="c1",
        estimate=lambda: 100,
    )
    decision = await gate.decide(priced)
    assert decision.allowed
    assert decision.budget is not None
    assert [b.budget_id for b in decision.holds] == ["b1"]
    assert (await counters.usage("b1", "2025-06")).holds == 1
    decision.budget.close(D("0.001"), reached_provider=True)
    await gate.close()  # the settlement was spawned; closing cancels or finishes it
    unpriced = await gate.decide(Call("acme", "bot", "r", "openai", "chat", "gpt-4o"))
    assert (unpriced.status, unpriced.code) == (403, "budget_unpriced_model")


async def test_budgets_hold_then_settle_and_refuse_with_429() -> None:
    holder = holder_with(snap(budgets=[budget("b1", limit="1")]))
    gate = ControlGate(holder, ProxySettings(), MemorySpendCounters())
    first = await gate.reserve_budget(
        "acme", "bot", "r", "openai", "gpt-4o", D("0.6"), hold_id="c1"
    )
    assert first.decision.allowed
    second = await gate.reserve_budget(
        "acme", "bot", "r", "openai", "gpt-4o", D("0.6"), hold_id="c2"
    )
    assert (second.decision.status, second.decision.code) == (429, "budget_exceeded")
    await gate.settle(first, D("0.3"))
    third = await gate.reserve_budget(
        "acme", "bot", "r", "openai", "gpt-4o", D("0.6"), hold_id="c3"
    )
    assert third.decision.allowed


async def test_a_refusal_by_one_budget_releases_the_holds_of_the_others() -> None:
    counters = MemorySpendCounters()
    holder = holder_with(snap(budgets=[budget("big", limit="100"), budget("small", limit="1")]))
    gate = ControlGate(holder, ProxySettings(), counters)
    refused = await gate.reserve_budget("acme", "bot", "r", None, None, D("5"), hold_id="c1")
    assert refused.decision.reference == "small"
    assert (await counters.usage("big", "2025-06")).holds == 0


async def test_run_budgets_limit_calls_per_run() -> None:
    holder = holder_with(snap(budgets=[budget("runs", limit="100", scope="run", max_calls=2)]))
    gate = ControlGate(holder, ProxySettings(), MemorySpendCounters())

    async def attempt(run_id: str, n: int) -> str:
        result = await gate.reserve_budget(
            "acme", "bot", run_id, None, None, None, hold_id=f"{run_id}-{n}"
        )
        await gate.settle(result, D("0.01"))
        return result.decision.code

    assert [await attempt("r1", n) for n in range(3)] == [
        "allowed",
        "allowed",
        "run_call_limit_exceeded",
    ]
    assert await attempt("r2", 0) == "allowed"


async def test_no_budgets_no_counter_calls() -> None:
    gate = ControlGate(holder_with(snap()), ProxySettings(), counters=None)
    result = await gate.reserve_budget("acme", "bot", "r", None, None, D("1"), hold_id="c1")
    assert (result.decision.allowed, result.holds) == (True, ())
    await gate.settle(result, D("1"))


@pytest.fixture
async def silent_redis_url() -> AsyncIterator[str]:
    """A server that accepts connections and never answers: the slow-Redis case."""

    done = asyncio.Event()

    async def hold(_reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await done.wait()
        writer.close()
        await writer.wait_closed()

    server = await asyncio.start_server(hold, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    yield f"redis://127.0.0.1:{port}/0"
    done.set()
    server.close()
    await server.wait_closed()


@pytest.mark.parametrize("target", ["dead", "silent"])
@pytest.mark.parametrize(("mode", "allowed"), [("closed", False), ("open", True)])
async def test_unreachable_counters_apply_the_fail_mode_and_open_the_breaker(
    target: str, mode: str, allowed: bool, silent_redis_url: str
) -> None:
    url = f"redis://127.0.0.1:{free_port()}/0" if target == "dead" else silent_redis_url
    client: Redis[Any] = Redis.from_url(url, socket_timeout=0.05, socket_connect_timeout=0.05)
    breaker = CircuitBreaker(failure_threshold=2, reset_seconds=60)
    holder = holder_with(snap(budgets=[budget("b1")]))
    counters = RedisSpendCounters(client, "x:", timeout_seconds=0.1)
    gate = ControlGate(holder, ProxySettings(budget_fail_mode=mode), counters, breaker=breaker)
    decisions = [
        (
            await gate.reserve_budget("acme", "bot", "r", None, None, D("1"), hold_id=f"c{n}")
        ).decision
        for n in range(4)
    ]
    assert [d.allowed for d in decisions] == [allowed] * 4
    if not allowed:
        assert decisions[0].status == 503
        assert decisions[0].code == "budget_state_unavailable"
    assert breaker.state == "open"  # calls 3 and 4 never touched the network
    await client.aclose()  # type: ignore[attr-defined]


LOOPS = {"id": "pol-loops", "name": "loops", "action": "pause_run", "pause_seconds": 600,
         "when": {"loop": {"repeats": 3, "window_seconds": 60}}}  # fmt: skip


def looping(run_id: str, text: str = "same again") -> Call:
    body = {"messages": [{"role": "user", "content": text}]}
    return Call("acme", "bot", run_id, "openai", "chat", "gpt-4o", estimate=lambda: 10,
                body=lambda: body)  # fmt: skip


async def test_a_runaway_run_is_paused_and_the_agents_other_runs_go_on() -> None:
    holder = holder_with(snap().model_copy(update={"policies": [LOOPS]}))
    gate = ControlGate(holder, ProxySettings(), runs=MemoryRunCounters())
    answers = [await gate.decide(looping("run-1")) for _ in range(2)]
    assert all(a.allowed for a in answers)
    tripped = await gate.decide(looping("run-1"))
    assert (tripped.status, tripped.code, tripped.pause_run_seconds) == (403, "run_paused", 600)
    assert "the same prompt 3 times in 60s" in tripped.message
    after = await gate.decide(looping("run-1", "something new"))
    assert (after.code, after.matched[0].kind) == ("run_paused", "run")
    assert "policy 'loops' paused it" in after.message
    assert (await gate.decide(looping("run-2"))).allowed  # same agent, another run


async def test_calls_per_run_and_unreachable_run_counters() -> None:
    capped = {"id": "pol-cap", "name": "cap", "action": "deny", "when": {"run_calls_over": 2}}
    holder = holder_with(snap().model_copy(update={"policies": [capped]}))
    gate = ControlGate(holder, ProxySettings(), runs=MemoryRunCounters())
    codes = [(await gate.decide(looping("r"))).code for _ in range(3)]
    assert codes == ["allowed", "allowed", "policy_denied"]
    redis = RedisRunCounters(Redis(port=free_port()), "x:", timeout_seconds=0.2)
    cut_off = ControlGate(holder, ProxySettings(), runs=redis)
    assert (await cut_off.decide(looping("r"))).allowed  # a guard rail, not a spend limit


def test_the_stream_cut_is_asked_again_only_after_a_snapshot_is_applied() -> None:
    """``stream_cut.generation`` moves with every snapshot the holder applies (not with one it
    turns away), so a live stream re-judges only then; its verdict follows the held state."""
    holder = holder_with(snap(version=1))
    cut = ControlGate(holder, ProxySettings()).stream_cut
    start = cut.generation
    assert cut("acme", "bot", None) is None
    holder.apply(snap(version=1, rules=[rule("agent", "bot")]))  # not newer: turned away
    assert cut.generation == start
    holder.apply(snap(version=2, rules=[rule("agent", "bot")]))
    assert cut.generation == start + 1
    verdict = cut("acme", "bot", None)
    assert verdict is not None
    assert verdict[1] == "agent_killed"
    assert cut("acme", "other", None) is None
    holder.apply(snap(version=3, rules=[rule("key", "ak_1")]))
    assert cut("acme", "bot", "ak_1") is not None
    assert cut("acme", "bot", None) is None
