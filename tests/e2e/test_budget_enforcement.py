"""Hard budgets enforced by real proxies: a snapshot with hard budgets published straight to
Redis, the official openai SDK through the proxy to the fake provider, the shared counters in
the test's Redis db. In-process ``ProxyService``s, and ``agentops proxy`` processes for the
multi-replica race.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AsyncExitStack
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import openai
import pytest
from openai.types.chat import ChatCompletionMessageParam
from redis.asyncio import Redis

import pricing
from agentops.settings import load_settings
from agentops.statebus import (
    CounterState,
    RedisSpendCounters,
    RedisStatePublisher,
    SpendCounters,
    connect,
    from_micros,
    to_micros,
)
from agentops.wire.control import BudgetRule, ControlSnapshot
from proxy.service import ProxyService
from proxy.tokenizer import estimate_prompt_tokens
from tests.fakeprovider import expected as ex
from tests.fakeprovider.server import FakeProvider
from tests.harness.cluster import PROXY_MAIN, ROOT, ProxyProcess, wait_for
from tests.harness.ports import free_port
from tests.proxy.helpers import final_records

ORG = "acme"
MODEL = "gpt-4o"
MAX_TOKENS = 12  # the fake provider's completion: its real cost stays under the worst case
PROMPT: list[ChatCompletionMessageParam] = [{"role": "user", "content": "budget " * 40}]
PERIOD = "d:test"


def worst_case(max_tokens: int = MAX_TOKENS) -> Decimal:
    """The proxy's hold for one PROMPT call: estimated prompt + max_tokens at the dearest rate."""
    body = {"model": MODEL, "messages": PROMPT, "max_tokens": max_tokens}
    tokens, _ = estimate_prompt_tokens("chat.completions", body, MODEL)
    cost = pricing.estimate_worst_case_cost(MODEL, tokens, max_tokens, provider="openai")
    assert cost is not None
    return cost


def rule(
    budget_id: str, limit: Decimal | str, *, scope: str = "agent", max_calls: int | None = None
) -> BudgetRule:
    return BudgetRule.model_validate({
        "budget_id": budget_id, "name": f"{budget_id}-cap", "scope": scope, "target": "bot",
        "limit_usd": Decimal(limit), "max_calls": max_calls, "period_key": PERIOD,
        "period_end": datetime.now(UTC) + timedelta(hours=2),
    })  # fmt: skip


def period(budget: BudgetRule, run_id: str | None = None) -> str:
    return f"{PERIOD}:run:{run_id}" if budget.scope == "run" else PERIOD


@dataclass
class Env:
    redis_url: str
    prefix: str
    aredis: Redis[Any]
    provider: FakeProvider
    tmp: Path

    @property
    def counters(self) -> RedisSpendCounters:
        return RedisSpendCounters(self.aredis, self.prefix, timeout_seconds=5.0)

    async def publish(self, *budgets: BudgetRule) -> None:
        snapshot = ControlSnapshot(
            org=ORG, version=1, generated_at=datetime.now(UTC), budgets=list(budgets)
        )
        await RedisStatePublisher(self.aredis, self.prefix).publish(snapshot)

    async def usage(self, budget: BudgetRule, run_id: str | None = None) -> CounterState:
        return await self.counters.usage(budget.budget_id, period(budget, run_id))

    async def settled(
        self, budget: BudgetRule, calls: int, run_id: str | None = None
    ) -> CounterState:
        async def done() -> bool:
            usage = await self.usage(budget, run_id)
            return usage.holds == 0 and usage.calls == calls

        await wait_for(done)
        return await self.usage(budget, run_id)


@pytest.fixture
async def env(redis_url: str, fake_provider: FakeProvider, tmp_path: Path) -> AsyncIterator[Env]:
    client: Redis[Any] = Redis.from_url(redis_url)
    yield Env(redis_url, f"pe{uuid.uuid4().hex[:8]}:", client, fake_provider, tmp_path)
    await client.aclose()  # type: ignore[attr-defined]


StartProxy = Callable[..., Awaitable[ProxyService]]


@pytest.fixture
async def start_proxy(env: Env) -> AsyncIterator[StartProxy]:
    async with AsyncExitStack() as stack:

        async def start(counters: SpendCounters | None = None, **proxy: Any) -> ProxyService:
            fields: dict[str, Any] = {
                "listen_port": 0,
                "reverse_port": free_port(),
                "admin_port": free_port(),
                "default_org": ORG,
                "upstream_overrides": {"api.openai.com": env.provider.url},
                "state_resync_seconds": 0.2,
            }
            settings = load_settings(
                home=env.tmp / uuid.uuid4().hex,
                proxy=fields | proxy,
                control_plane={"redis_url": env.redis_url, "redis_prefix": env.prefix},
            )
            service = ProxyService(settings, counters=counters)
            await service.start()
            stack.push_async_callback(service.stop)
            await wait_for(service.ready)
            return service

        yield start


Client = Callable[..., openai.AsyncOpenAI]


@pytest.fixture
async def client() -> AsyncIterator[Client]:
    """An SDK client through a proxy's reverse port; every one is closed after the test."""
    made: list[openai.AsyncOpenAI] = []

    def make(service: ProxyService, run_id: str = "run-1", retries: int = 2) -> openai.AsyncOpenAI:
        sdk = openai.AsyncOpenAI(
            base_url=f"http://127.0.0.1:{service.settings.proxy.reverse_port}/openai/v1",
            api_key="sk-test-not-a-secret",
            max_retries=retries,
            default_headers={"x-agentops-agent": "bot", "x-agentops-run-id": run_id},
        )
        made.append(sdk)
        return sdk

    yield make
    for sdk in made:
        await sdk.close()


async def chat(sdk: openai.AsyncOpenAI, **headers: str) -> str:
    reply = await sdk.chat.completions.create(
        model=MODEL, messages=PROMPT, max_tokens=MAX_TOKENS, extra_headers=headers or None
    )
    return reply.choices[0].message.content or ""


def records(service: ProxyService) -> list[dict[str, Any]]:
    assert service.spool.wait_durable(timeout=10)
    return list(final_records(service.spool.directory).values())


def micros_sum(costs: list[str]) -> Decimal:
    return from_micros(sum(to_micros(Decimal(c)) for c in costs))


async def test_a_call_within_budget_passes_and_settles_its_real_cost(
    env: Env, start_proxy: StartProxy, client: Client
) -> None:
    budget = rule("b-ok", "1")
    await env.publish(budget)
    service = await start_proxy()
    assert await chat(client(service)) == ex.REPLY_TEXT
    usage = await env.settled(budget, calls=1)
    [record] = records(service)
    assert record["status"] == "ok"
    assert Decimal(record["cost"]["total_usd"]) < worst_case()  # the hold was the worst case
    assert usage.spent == micros_sum([record["cost"]["total_usd"]])
    assert usage.held == 0


async def test_a_call_over_what_is_left_is_refused_429_naming_the_budget_without_retries(
    env: Env, start_proxy: StartProxy, client: Client
) -> None:
    budget = rule("b-tight", worst_case() - Decimal("0.000001"))
    await env.publish(budget)
    service = await start_proxy()
    with pytest.raises(openai.RateLimitError) as refused:
        await chat(client(service, retries=3))
    assert "'b-tight-cap'" in refused.value.message
    assert refused.value.response.headers["x-should-retry"] == "false"
    assert int(refused.value.response.headers["retry-after"]) > 60  # until the period ends
    assert env.provider.requests == []
    [record] = records(service)  # one attempt: the SDK did not retry
    assert (record["status"], record["refusal_reason"]) == ("refused", "budget_exceeded")
    assert await env.usage(budget) == CounterState(Decimal(0), Decimal(0), 0, 0)


async def test_a_run_budget_refuses_the_call_after_max_calls_and_not_other_runs(
    env: Env, start_proxy: StartProxy, client: Client
) -> None:
    budget = rule("b-run", "10", scope="run", max_calls=2)
    await env.publish(budget)
    service = await start_proxy()
    first = client(service, run_id="run-a", retries=0)
    for _ in range(2):
        await chat(first)
    with pytest.raises(openai.RateLimitError) as refused:
        await chat(first)
    assert "used its 2 calls" in refused.value.message
    assert await chat(client(service, run_id="run-b")) == ex.REPLY_TEXT
    assert (await env.settled(budget, 2, "run-a")).calls == 2
    assert (await env.settled(budget, 1, "run-b")).calls == 1
    assert len(env.provider.requests) == 3


@pytest.mark.parametrize("mode", ["closed", "open"])
async def test_unreachable_counters_follow_budget_fail_mode(
    env: Env, start_proxy: StartProxy, client: Client, mode: str
) -> None:
    await env.publish(rule("b-dead", "10"))
    dead = connect(f"redis://127.0.0.1:{free_port()}")  # nothing listens there
    try:
        service = await start_proxy(
            counters=RedisSpendCounters(dead, env.prefix), budget_fail_mode=mode
        )
        if mode == "open":
            assert await chat(client(service)) == ex.REPLY_TEXT
            return
        with pytest.raises(openai.APIStatusError) as refused:
            await chat(client(service))
        assert refused.value.status_code == 503
        assert "'b-dead-cap' cannot be checked" in refused.value.message
        assert env.provider.requests == []
    finally:
        await dead.aclose()  # type: ignore[attr-defined]


async def test_a_stream_crossing_a_run_budget_is_cut_with_an_error_event(
    env: Env, start_proxy: StartProxy, client: Client
) -> None:
    # The hold is one output token; the fake provider ignores max_tokens and streams 16
    # tokens of text in 16 chunks, so the run budget (hold + 5 tokens) runs out mid-stream.
    rate = pricing.estimate_worst_case_cost(MODEL, 0, 1, provider="openai")
    assert rate is not None
    budget = rule("b-stream", worst_case(1) + 5 * rate, scope="run")
    await env.publish(budget)
    service = await start_proxy()
    sdk = client(service, run_id="run-s")
    pieces: list[str] = []

    async def read_stream() -> None:
        stream = await sdk.chat.completions.create(
            model=MODEL, messages=PROMPT, max_tokens=1, stream=True,
            extra_headers={"x-fake-chunks": "16"},
        )  # fmt: skip
        async for chunk in stream:
            pieces.extend(c.delta.content or "" for c in chunk.choices)

    with pytest.raises(openai.APIError) as cut:
        await read_stream()
    assert "'b-stream-cap' stopped this stream" in cut.value.message
    text = "".join(pieces)
    assert ex.REPLY_TEXT.startswith(text)
    assert len(text) < len(ex.REPLY_TEXT)
    [record] = records(service)
    assert (record["status"], record["refusal_reason"]) == ("refused", "budget_exceeded")
    usage = await env.settled(budget, 1, "run-s")
    assert usage.spent == micros_sum([record["cost"]["total_usd"]])
    chunk_chars = -(-len(ex.REPLY_TEXT) // 16)
    assert usage.spent <= budget.limit_usd + chunk_chars * rate  # at most one chunk over


async def test_a_stream_cut_by_a_budget_is_stopped_at_the_provider_too(
    env: Env, start_proxy: StartProxy, client: Client
) -> None:
    # A cut that only stopped forwarding would leave the provider generating (and billing)
    # the rest of the answer: the proxy closes the upstream connection.
    rate = pricing.estimate_worst_case_cost(MODEL, 0, 1, provider="openai")
    assert rate is not None
    await env.publish(rule("b-stop", worst_case(1) + 5 * rate, scope="run"))
    service = await start_proxy()
    sdk = client(service, run_id="run-stop")
    slow = {"x-fake-chunks": "400", "x-fake-chunk-delay-ms": "10"}  # 4 s if left to finish

    async def read_stream() -> None:
        stream = await sdk.chat.completions.create(
            model=MODEL, messages=PROMPT, max_tokens=1, stream=True, extra_headers=slow
        )
        async for _chunk in stream:
            pass

    with pytest.raises(openai.APIError, match="stopped this stream"):
        await read_stream()

    await wait_for(lambda: len(env.provider.streams) == 1)
    [outcome] = env.provider.streams
    assert outcome.hung_up
    assert outcome.frames_sent < 50
    [record] = records(service)
    assert (record["status"], record["refusal_reason"]) == ("refused", "budget_exceeded")


# -- two proxy processes racing for one budget -----------------------------------------------


def spawn(args: list[str], environ: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("wb") as out:
        return subprocess.Popen(args, env=environ, stdout=out, stderr=subprocess.STDOUT)


async def start_process(env: Env, index: int) -> ProxyProcess:
    home = env.tmp / f"proxy-{index}"
    home.mkdir()
    reverse_port, admin_port = free_port(), free_port()
    inherited = os.environ.items()  # noqa: TID251 (a child's environment, not our config)
    environ = {k: v for k, v in inherited if not k.startswith("AGENTOPS_")}
    environ |= {
        "PYTHONPATH": str(ROOT),
        "AGENTOPS_HOME": str(home),
        "AGENTOPS_LOG_FORMAT": "text",
        "AGENTOPS_CONTROL_PLANE__REDIS_URL": env.redis_url,
        "AGENTOPS_CONTROL_PLANE__REDIS_PREFIX": env.prefix,
        "AGENTOPS_PROXY__DEFAULT_ORG": ORG,
        "AGENTOPS_PROXY__ADMIN_PORT": str(admin_port),
    }
    args = [sys.executable, "-c", PROXY_MAIN, "--listen", "127.0.0.1:0",
            "--reverse-port", str(reverse_port),
            "--upstream", f"api.openai.com={env.provider.url}"]  # fmt: skip
    process = await asyncio.to_thread(spawn, args, environ, home / "proxy.log")
    proxy = ProxyProcess(f"proxy-{index}", home, reverse_port, admin_port, process)
    await wait_for(proxy.ready)
    return proxy


async def test_two_replicas_with_sixty_parallel_calls_never_overspend(env: Env) -> None:
    hold = worst_case()
    budget = rule("b-race", hold * 20)  # fits 20 worst cases
    await env.publish(budget)
    proxies: list[ProxyProcess] = []
    async with AsyncExitStack() as stack:
        for i in range(2):
            proxies.append(await start_process(env, i))
            stack.callback(proxies[-1].stop)
        sdks = [p.openai("bot") for p in proxies]
        stack.push_async_callback(sdks[0].close)
        stack.push_async_callback(sdks[1].close)

        async def one(i: int) -> str:
            try:
                await chat(sdks[i % 2], **{"x-fake-delay-ms": "200"})
            except openai.RateLimitError as refused:
                return refused.message
            return "ok"

        outcomes = await asyncio.gather(*(one(i) for i in range(60)))
        ok = outcomes.count("ok")
        refusals = [o for o in outcomes if o != "ok"]
        assert len(refusals) == 60 - ok
        assert all("'b-race-cap'" in message for message in refusals)
        usage = await env.settled(budget, calls=ok)
    costs = [
        r["cost"]["total_usd"] for p in proxies for r in p.records().values() if r["status"] == "ok"
    ]
    assert len(costs) == ok == len(env.provider.requests)
    real = max(Decimal(c) for c in costs)
    # Every call settles at most its hold (real <= worst case), and holds never commit past
    # the limit: the settled spend cannot exceed it. The first 20 holds always fit; no more
    # calls than the limit over each call's real cost can ever settle.
    assert real <= hold
    assert usage.spent == micros_sum(costs) <= budget.limit_usd
    assert 20 <= ok <= budget.limit_usd // min(Decimal(c) for c in costs)
    assert ok < 60
