"""Policies end to end: created through the API of a running control plane (PostgreSQL,
Redis), enforced by an ``agentops proxy`` process that the official OpenAI SDK calls through,
with the fake provider upstream showing what really left the proxy."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import openai
import pytest

from cli.runs_cmd import runs
from control_plane import app_keys
from control_plane.alerts.destinations import DestinationPolicy
from control_plane.alerts.send import SendConfig
from control_plane.services import alerts
from tests.control_plane.services.test_alerts import LOCAL, Receiver
from tests.control_plane.services.test_alerts import receiver as receiver
from tests.harness.cluster import Cluster, ProxyProcess, running_cluster, wait_for

SECRET = "sk-proj-" + "A1b2C3d4E5f6G7h8I9j0" * 2  # an OpenAI-style key pasted into a prompt


@pytest.fixture
async def cluster(pg_url: str, redis_url: str, tmp_path: Path) -> AsyncIterator[Cluster]:
    async with running_cluster(pg_url, redis_url, tmp_path, proxies=1) as running:
        yield running


async def ask(proxy: ProxyProcess, agent: str, model: str, text: str = "hi", **headers: str) -> Any:
    async with proxy.openai(agent, **headers) as client:
        return await client.chat.completions.create(
            model=model, messages=[{"role": "user", "content": text}], max_tokens=20
        )


async def apply(cluster: Cluster, *policies: dict[str, Any]) -> None:
    for policy in policies:
        await cluster.api("POST", "/policies", policy)
    await wait_for(cluster.all_applied)


async def records(proxy: ProxyProcess, count: int) -> list[dict[str, Any]]:
    """The proxy's spooled records once ``count`` are written (another process writes them)."""
    await wait_for(lambda: len(proxy.records()) >= count)
    return list(proxy.records().values())


def record_of(found: list[dict[str, Any]], model: str) -> dict[str, Any]:
    [record] = [r for r in found if r["model_requested"] == model]
    return record


async def test_deny_shadow_and_route_on_a_real_proxy(cluster: Cluster) -> None:
    await apply(
        cluster,
        {"name": "no-gpt4o", "action": "deny", "when": {"models": ["gpt-4o"]},
         "message": "use gpt-4o-mini for batch work"},
        {"name": "would-deny-mini", "action": "deny", "mode": "shadow",
         "when": {"models": ["gpt-4o-mini"]}},
        {"name": "cheaper", "action": "route", "route_to": "gpt-4o-mini",
         "when": {"models": ["gpt-4.1*"]}},
    )  # fmt: skip
    [proxy] = cluster.proxies
    sent_before = len(cluster.provider.requests)

    with pytest.raises(openai.PermissionDeniedError) as denied:
        await ask(proxy, "batcher", "gpt-4o")
    assert denied.value.status_code == 403
    assert "Policy 'no-gpt4o' denied this call: use gpt-4o-mini" in denied.value.message
    assert len(cluster.provider.requests) == sent_before  # never reached the provider

    shadowed = await ask(proxy, "batcher", "gpt-4o-mini")  # shadow: forwarded anyway
    assert shadowed.choices[0].message.content
    routed = await ask(proxy, "batcher", "gpt-4.1")
    assert routed.model.startswith("gpt-4o-mini")  # served by the model routed to
    assert json.loads(cluster.provider.requests[-1].body)["model"] == "gpt-4o-mini"

    found = await records(proxy, 3)
    refused = record_of(found, "gpt-4o")
    assert (refused["status"], refused["refusal_reason"]) == ("refused", "policy:no-gpt4o")
    assert [(p["name"], p["applied"]) for p in refused["policies"]] == [("no-gpt4o", True)]
    shadow = record_of(found, "gpt-4o-mini")
    assert shadow["status"] == "ok"
    [would] = shadow["policies"]
    assert (would["name"], would["mode"], would["applied"]) == ("would-deny-mini", "shadow", False)
    reroute = record_of(found, "gpt-4.1")
    assert reroute["model_served"].startswith("gpt-4o-mini")
    assert reroute["cost"]["priced_model"].startswith("gpt-4o-mini")  # priced as served
    [route] = reroute["policies"]
    assert (route["routed_from"], route["routed_to"]) == ("gpt-4.1", "gpt-4o-mini")


async def test_a_redacted_secret_never_reaches_the_provider(cluster: Cluster) -> None:
    await apply(
        cluster,
        {"name": "mask-secrets", "action": "redact",
         "when": {"detectors": ["api_key", "card_number", "email"]}},
    )  # fmt: skip
    [proxy] = cluster.proxies
    text = f"deploy with {SECRET}, bill 4111 1111 1111 1111, mail ops@example.com"
    reply = await ask(proxy, "deployer", "gpt-4o-mini", text)
    assert reply.choices[0].message.content
    forwarded = cluster.provider.requests[-1].body.decode()
    assert SECRET not in forwarded
    assert "4111 1111 1111 1111" not in forwarded
    assert "ops@example.com" not in forwarded
    assert "[REDACTED:api_key]" in forwarded
    [record] = await records(proxy, 1)
    [outcome] = record["policies"]
    assert outcome["masked"] == {"api_key": 1, "card_number": 1, "email": 1}


@pytest.fixture
async def two_proxies(pg_url: str, redis_url: str, tmp_path: Path) -> AsyncIterator[Cluster]:
    async with running_cluster(pg_url, redis_url, tmp_path, proxies=2) as running:
        yield running


async def test_a_rate_limit_is_shared_by_two_proxies(two_proxies: Cluster) -> None:
    await apply(
        two_proxies,
        {"name": "calm-down", "action": "rate_limit",
         "limit": {"requests_per_minute": 3, "per": "agent"}},
    )  # fmt: skip
    first, second = two_proxies.proxies
    for proxy in (first, second, first):
        assert (await ask(proxy, "looper", "gpt-4o-mini")).choices
    with pytest.raises(openai.RateLimitError) as limited:
        await ask(second, "looper", "gpt-4o-mini")  # the other replica knows the count
    assert limited.value.status_code == 429
    assert "Rate limit 'calm-down' (3 requests per minute)" in limited.value.message
    retry_after = int(limited.value.response.headers["retry-after"])
    assert 1 <= retry_after <= 20
    assert (await ask(second, "another", "gpt-4o-mini")).choices  # per agent
    found = await records(second, 3)
    refused = [r for r in found if r["status"] == "refused"]
    assert [r["refusal_reason"] for r in refused] == ["rate_limit:calm-down"]


LOOPS = {"name": "runaway-loops", "action": "pause_run", "pause_seconds": 600,
         "when": {"loop": {"repeats": 3, "window_seconds": 60}}}  # fmt: skip


@pytest.fixture
async def shipping(pg_url: str, redis_url: str, tmp_path: Path) -> AsyncIterator[Cluster]:
    """Two proxies that ship their records to the control plane, which may alert 127.0.0.1."""
    settings = {"alert_allowed_internal_hosts": LOCAL}
    async with running_cluster(
        pg_url, redis_url, tmp_path, proxies=0, control_plane=settings
    ) as running:
        for _ in range(2):
            await running.start_proxy(ship=True)
        yield running


async def loop_step(proxy: ProxyProcess, run: str, text: str = "are we there yet?") -> Any:
    return await ask(proxy, "looper", "gpt-4o-mini", text, **{"x-agentops-run-id": run})


async def test_a_runaway_loop_is_paused_alerted_and_other_runs_go_on(
    shipping: Cluster, receiver: Receiver
) -> None:
    await shipping.api("POST", "/alerts/channels",
                       {"name": "ops", "kind": "webhook", "url": receiver.url})  # fmt: skip
    await apply(shipping, LOOPS)
    first, second = shipping.proxies
    sent = len(shipping.provider.requests)
    # The same prompt through either replica: both count the same run in Redis.
    assert (await loop_step(first, "loop-1")).choices
    assert (await loop_step(second, "loop-1")).choices
    with pytest.raises(openai.PermissionDeniedError) as tripped:
        await loop_step(first, "loop-1")
    assert "Policy 'runaway-loops' paused this run for 600s" in tripped.value.message
    assert "the same prompt 3 times in 60s" in tripped.value.message
    with pytest.raises(openai.PermissionDeniedError) as paused:
        await loop_step(second, "loop-1", "something else entirely")  # the run stays paused
    assert "Run 'loop-1' of agent 'looper' is paused" in paused.value.message
    assert len(shipping.provider.requests) == sent + 2
    # The same agent's other runs are not paused, and neither is the agent.
    assert (await loop_step(second, "loop-2")).choices
    assert (await loop_step(first, "loop-3")).choices

    app = shipping.control_plane.app
    config = SendConfig("127.0.0.1", 1, "alerts@example.com", 5.0,
                        DestinationPolicy.from_entries(LOCAL))  # fmt: skip

    async def alerted() -> bool:
        await alerts.deliver_due(
            app[app_keys.DATABASE], config, datetime.now(UTC), app[app_keys.SECRET_BOX]
        )
        return bool(receiver.received)

    await wait_for(alerted)
    [(_, body)] = receiver.received
    alert = json.loads(body)
    assert (alert["type"], alert["run_id"], alert["agent"]) == ("run.paused", "loop-1", "looper")
    assert alert["policy"]["name"] == "runaway-loops"


async def test_an_admin_resumes_a_paused_run_from_the_cli(shipping: Cluster) -> None:
    await apply(shipping, LOOPS)
    first, second = shipping.proxies
    for proxy in (first, second):
        assert (await loop_step(proxy, "loop-9")).choices
    with pytest.raises(openai.PermissionDeniedError):
        await loop_step(first, "loop-9")  # the third time: paused for 600 s
    with pytest.raises(openai.PermissionDeniedError):
        await loop_step(second, "loop-9", "a new question")

    async def stored() -> bool:
        page = await shipping.api("GET", "/runs?agent=looper")
        return "loop-9" in {run["run_id"] for run in page["items"]}

    await wait_for(stored)
    result = await shipping.cli(runs, "resume", "loop-9", "--reason", "checked", "-o", "json")
    assert result.exit_code == 0, result.output
    resumed = json.loads(result.stdout)
    assert resumed["run_id"] == "loop-9"
    assert "policy 'runaway-loops' paused it" in resumed["pause"]
    # At once, through the other replica too: the pause was on the counters both read.
    assert (await loop_step(second, "loop-9", "a new question")).choices
    with pytest.raises(openai.PermissionDeniedError) as again:
        await loop_step(first, "loop-9")  # the run's counts stayed: the loop trips again
    assert "the same prompt 4 times in 60s" in again.value.message

    audit = await shipping.api("GET", "/audit-logs?action=run.resume")
    [entry] = audit["items"]
    assert entry["entity_id"] == resumed["id"]
    assert entry["after"]["reason"] == "checked"
    assert "runaway-loops" in entry["before"]["paused"]
