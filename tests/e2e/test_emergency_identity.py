"""Controls follow the credential, not the name an agent gives itself.

A real deployment in miniature: the control plane on PostgreSQL and Redis, an ``agentops proxy``
process that ships its records, the official openai and anthropic SDKs through it to the fake
provider, the CLI against the API. Each test prints its figures.
"""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator
from pathlib import Path

import anthropic
import openai
import pytest

from cli.emergency_cmd import kill, resume
from tests.harness.cluster import Cluster, ProxyProcess, running_cluster, wait_for

MODEL = "gpt-4o-mini"


@pytest.fixture
async def cluster(pg_url: str, redis_url: str, tmp_path: Path) -> AsyncIterator[Cluster]:
    async with running_cluster(pg_url, redis_url, tmp_path, proxies=0) as running:
        await running.start_proxy(ship=True)
        yield running


def basic(agent: str, key: str) -> str:
    return "Basic " + base64.b64encode(f"{agent}:{key}".encode()).decode()


async def call(proxy: ProxyProcess, agent: str, key: str) -> str:
    """``answered``, or the refusal's status and message."""
    async with openai.AsyncOpenAI(
        base_url=proxy.base_url,
        api_key="sk-test-not-a-secret",
        max_retries=0,
        default_headers={"proxy-authorization": basic(agent, key)},
    ) as client:
        try:
            await client.chat.completions.create(
                model=MODEL, messages=[{"role": "user", "content": "hi"}]
            )
        except openai.APIStatusError as error:
            return f"{error.status_code} {error.message}"
    return "answered"


async def stored_calls(cluster: Cluster, agent: str) -> int:
    page = await cluster.api("GET", f"/runs?agent={agent}&limit=100")
    return sum(int(run["calls"]) for run in page["items"])


async def registered_by_ingest(cluster: Cluster) -> list[str]:
    page = await cluster.api("GET", "/audit-logs?action=agent.create&limit=100")
    return sorted(e["after"]["name"] for e in page["items"] if e["actor_type"] == "system")


async def test_a_renamed_agent_is_registered_stored_and_caught_by_a_key_kill(
    cluster: Cluster,
) -> None:
    [proxy] = cluster.proxies
    key = cluster.ingest_key  # an org key bound to no agent: the documented agent:key@ form
    # Calls per name the proxy answered or refused at its gate: each one is a stored record.
    recorded: dict[str, int] = {}
    answered = 0

    async def expect(agent: str, outcome: str, api_key: str = key) -> str:
        nonlocal answered
        got = await call(proxy, agent, api_key)
        assert got.startswith(outcome), f"{agent}: {got}"
        recorded[agent] = recorded.get(agent, 0) + 1
        answered += got == "answered"
        return got

    await expect("bot-a", "answered")
    await wait_for(lambda: _stored(cluster, "bot-a", 1))
    await cluster.cli(kill, "--agent", "bot-a", "--reason", "runaway INC-9")
    await wait_for(cluster.all_applied)
    await expect("bot-a", "403")

    # The same key under a new name: answered (the org registers names on first use), then
    # stored under the key's org and registered there, audited.
    await expect("bot-a-v2", "answered")
    await wait_for(lambda: _stored(cluster, "bot-a-v2", 1))
    assert "bot-a-v2" in await registered_by_ingest(cluster)

    # Kill by key: every name used with it is refused, registered or not; other keys are not.
    prefix = key[:16]  # aoh_ + the public id, as `keys list` shows it
    result = await cluster.cli(kill, "--key", prefix, "--reason", "key misused")
    assert result.exit_code == 0, result.output
    await wait_for(cluster.all_applied)
    for name in ("bot-a-v2", "bot-a-v3", "anything-else"):
        assert "API key" in await expect(name, "403")
    other = (await cluster.api("POST", "/api-keys", {"name": "other", "scopes": ["ingest"]}))["key"]
    await wait_for(lambda: _accepts(proxy, "bot-a-v2", other))
    recorded["bot-a-v2"] += 1
    answered += 1
    await cluster.cli(resume, "--key", prefix)
    await wait_for(cluster.all_applied)
    # Every record so far is stored (the refused names registered) before the setting changes:
    # a record still in flight when it is turned off names an agent the org no longer
    # registers, and is rejected into the proxy's dead letters (replayable once registered).
    await wait_for(lambda: _stored_total(cluster, recorded))

    # Setting off: an unknown name is refused before forwarding, a registered one still works.
    await cluster.api("PATCH", "/orgs/profile", {"auto_register_agents": False})
    await wait_for(cluster.all_applied)
    upstream_before = len(cluster.provider.requests)
    assert "not registered" in await expect("bot-a-v9", "403")
    del recorded["bot-a-v9"]  # refused, never answered: its record names no registered agent
    assert len(cluster.provider.requests) == upstream_before
    await expect("bot-a-v2", "answered")

    await wait_for(lambda: _stored_total(cluster, recorded))
    stored = {name: await stored_calls(cluster, name) for name in recorded}
    print(
        f"\nrenamed agent: answered {answered}, recorded (answered + refused) "
        f"{sum(recorded.values())}, stored {sum(stored.values())}, per name {stored}"
    )
    assert stored == recorded


async def _stored(cluster: Cluster, agent: str, count: int) -> bool:
    return await stored_calls(cluster, agent) >= count


async def _stored_total(cluster: Cluster, answered: dict[str, int]) -> bool:
    return all([await stored_calls(cluster, a) >= n for a, n in answered.items()])


async def _accepts(proxy: ProxyProcess, agent: str, key: str) -> bool:
    return await call(proxy, agent, key) == "answered"


async def test_a_malformed_key_is_refused_and_both_sdks_show_why(cluster: Cluster) -> None:
    [proxy] = cluster.proxies
    short = cluster.ingest_key[:-1]  # typed one character short
    refused = await call(proxy, "bot", short)
    assert refused.startswith("407")
    assert "malformed" in refused
    async with anthropic.AsyncAnthropic(
        base_url=f"http://127.0.0.1:{proxy.reverse_port}/anthropic",
        api_key="sk-ant-test-not-a-secret",
        max_retries=0,
        default_headers={"proxy-authorization": basic("bot", short)},
    ) as client:
        with pytest.raises(anthropic.APIStatusError) as error:
            await client.messages.create(
                model="claude-3-5-haiku-latest",
                max_tokens=10,
                messages=[{"role": "user", "content": "hi"}],
            )
    assert error.value.status_code == 407
    assert "malformed" in error.value.message
    assert cluster.provider.requests == []  # nothing went upstream, nothing in the default org
    print(f"\nmalformed key: refused 2 of 2 (openai {refused[:60]!r}…)")


async def test_killing_an_unknown_agent_is_an_error_listing_close_names(cluster: Cluster) -> None:
    [proxy] = cluster.proxies
    await cluster.api("POST", "/agents", {"name": "scraper"})
    typo = await cluster.cli(kill, "--agent", "scrapr", "--reason", "x")
    assert typo.exit_code != 0
    assert "no agent named 'scrapr'; did you mean 'scraper'?" in typo.output
    missing = await cluster.cli(resume, "--agent", "scrapr")
    assert "did you mean 'scraper'?" in missing.output
    assert (await cluster.api("GET", "/emergency"))["rules"] == []

    blocked = await cluster.cli(kill, "--agent", "not-yet-seen", "--create", "--reason", "never")
    assert blocked.exit_code == 0, blocked.output
    await wait_for(cluster.all_applied)
    assert (await call(proxy, "not-yet-seen", cluster.ingest_key)).startswith("403")
