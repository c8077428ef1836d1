"""Emergency controls end to end: the CLI and API against a running control plane, PostgreSQL
and Redis, enforced by ``agentops proxy`` processes that the official OpenAI SDK calls through."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import openai
import pytest
from openai import AsyncStream
from openai.types.chat import ChatCompletionChunk

from cli.emergency_cmd import kill, status
from tests.harness.cluster import Cluster, ProxyProcess, running_cluster, wait_for

HELLO: list[openai.types.chat.ChatCompletionMessageParam] = [{"role": "user", "content": "hi"}]
MODEL = "gpt-4o-mini"


@pytest.fixture
async def cluster(pg_url: str, redis_url: str, tmp_path: Path) -> AsyncIterator[Cluster]:
    async with running_cluster(pg_url, redis_url, tmp_path, proxies=3) as running:
        yield running


@pytest.fixture
async def one_proxy(pg_url: str, redis_url: str, tmp_path: Path) -> AsyncIterator[Cluster]:
    async with running_cluster(pg_url, redis_url, tmp_path, proxies=1) as running:
        yield running


async def ask(proxy: ProxyProcess, agent: str) -> str | None:
    async with proxy.openai(agent) as client:
        reply = await client.chat.completions.create(model=MODEL, messages=HELLO)
    return reply.choices[0].message.content


async def refusal(proxy: ProxyProcess, agent: str) -> openai.PermissionDeniedError:
    with pytest.raises(openai.PermissionDeniedError) as refused:
        await ask(proxy, agent)
    return refused.value


async def test_a_kill_through_the_cli_is_enforced_by_every_proxy(cluster: Cluster) -> None:
    for proxy in cluster.proxies:
        assert await ask(proxy, "scraper")

    # Its records are still in the proxies' spools: the name is blocked before registration.
    result = await cluster.cli(
        kill, "--agent", "scraper", "--create", "--reason", "runaway loop INC-7"
    )

    assert result.exit_code == 0, result.output
    assert "killed agent scraper" in result.output
    await wait_for(cluster.all_applied)
    for proxy in cluster.proxies:
        error = await refusal(proxy, "scraper")
        assert error.status_code == 403
        assert "runaway loop INC-7" in error.message
        assert await ask(proxy, "another-agent")  # only the killed agent is refused
    shown = await cluster.cli(status)
    assert "kill  agent scraper  reason: runaway loop INC-7" in shown.output
    assert shown.output.count(" applied ") == 3
    assert "NOT APPLIED" not in shown.output


async def test_a_proxy_cut_off_from_redis_applies_the_kill_once_reconnected(
    pg_url: str, redis_url: str, tmp_path: Path
) -> None:
    # The kill is published while this proxy is frozen with its connections killed, so the
    # announcement is lost to it; once it runs again it must catch up. The periodic resync is
    # an hour away, so only the resync on reconnect can explain the catch-up.
    async with running_cluster(pg_url, redis_url, tmp_path, proxies=2, resync_seconds=3600) as c:
        await wait_for(c.all_applied)
        healthy, cut_off = c.proxies
        cut_off.freeze()
        assert await c.kill_state_connections(cut_off) >= 1

        await c.api("POST", "/emergency/kill", {"scope": "org", "reason": "key leaked"})

        await wait_for(lambda: _applied_by(c, healthy))
        shown = await c.cli(status)
        assert f"{cut_off.proxy_id}  version" in shown.output
        assert "NOT APPLIED" in shown.output.split(cut_off.proxy_id)[1].splitlines()[0]
        assert "key leaked" in (await refusal(healthy, "bot")).message

        cut_off.thaw()
        await wait_for(c.all_applied)
        assert "key leaked" in (await refusal(cut_off, "bot")).message


async def _applied_by(cluster: Cluster, proxy: ProxyProcess) -> bool:
    state = await cluster.api("GET", "/emergency")
    return any(p["proxy_id"] == proxy.proxy_id and p["applied"] for p in state["proxies"])


async def test_killing_an_agent_mid_stream_ends_the_stream_and_records_it_killed(
    one_proxy: Cluster,
) -> None:
    [proxy] = one_proxy.proxies
    # ~65 frames 200 ms apart: the stream outlasts a kill applied even on a loaded machine.
    slow = {"x-fake-chunk-delay-ms": "200", "x-fake-chunks": "400"}
    kill_it = {"scope": "agent", "target": "streamer", "reason": "cost spike", "create": True}
    received = 0

    async def read_killing_after_the_first_chunk(stream: AsyncStream[ChatCompletionChunk]) -> None:
        nonlocal received
        async for _chunk in stream:
            received += 1
            if received == 1:
                await one_proxy.api("POST", "/emergency/kill", kill_it)

    async with proxy.openai("streamer", **slow) as client:
        stream = await client.chat.completions.create(model=MODEL, messages=HELLO, stream=True)
        with pytest.raises(openai.APIError, match="cost spike"):
            await read_killing_after_the_first_chunk(stream)
    assert received < 400  # the stream ended early, with the provider's own error event
    # ...and the provider was hung up on, so it stops generating what nobody will read
    await wait_for(lambda: len(one_proxy.provider.streams) == 1)
    assert one_proxy.provider.streams[0].hung_up

    def killed() -> bool:
        return any(
            r["agent"] == "streamer" and r["status"] == "killed" for r in proxy.records().values()
        )

    await wait_for(killed)
    assert "cost spike" in (await refusal(proxy, "streamer")).message


async def test_pause_lets_the_stream_in_flight_finish_then_refuses_until_resumed(
    one_proxy: Cluster,
) -> None:
    [proxy] = one_proxy.proxies
    slow = {"x-fake-chunk-delay-ms": "20", "x-fake-chunks": "20"}
    pause_it = {"scope": "agent", "target": "batcher", "reason": "budget review", "create": True}
    text = ""
    async with proxy.openai("batcher", **slow) as client:
        stream = await client.chat.completions.create(model=MODEL, messages=HELLO, stream=True)
        async for chunk in stream:
            if not text:
                await one_proxy.api("POST", "/emergency/pause", pause_it)
                await wait_for(one_proxy.all_applied)  # paused while this stream is in flight
            if chunk.choices and chunk.choices[0].delta.content:
                text += chunk.choices[0].delta.content
    assert text  # finished normally

    assert "budget review" in (await refusal(proxy, "batcher")).message
    await one_proxy.api("POST", "/emergency/resume", {"scope": "agent", "target": "batcher"})
    await wait_for(one_proxy.all_applied)
    assert await ask(proxy, "batcher")
