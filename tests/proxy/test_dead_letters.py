"""A record the control plane rejects is kept as a dead letter, counted and logged, never
dropped; once its cause is fixed, a replay stores it.

A real ``agentops proxy`` process shipping to the control plane (PostgreSQL, Redis), the
official openai SDK, the CLI for listing and replaying.
"""

from __future__ import annotations

import asyncio
import base64
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import openai
import pytest
from click.testing import CliRunner

from cli.dead_letters_cmd import dead_letters
from proxy.dead_letters import DeadLetters
from tests.harness.cluster import Cluster, ProxyProcess, _owner_and_key, running_cluster, wait_for


@pytest.fixture
async def cluster(pg_url: str, redis_url: str, tmp_path: Path) -> AsyncIterator[Cluster]:
    async with running_cluster(pg_url, redis_url, tmp_path, proxies=0) as running:
        await running.start_proxy(ship=True)
        yield running


async def call(proxy: ProxyProcess, agent: str, key: str) -> str:
    auth = "Basic " + base64.b64encode(f"{agent}:{key}".encode()).decode()
    async with openai.AsyncOpenAI(
        base_url=proxy.base_url, api_key="sk-test", max_retries=0,
        default_headers={"proxy-authorization": auth},
    ) as client:  # fmt: skip
        try:
            await client.chat.completions.create(
                model="gpt-4o-mini", messages=[{"role": "user", "content": "hi"}]
            )
        except openai.APIStatusError as error:
            return str(error.status_code)
    return "answered"


async def metric(proxy: ProxyProcess, reason: str) -> float:
    async with aiohttp.ClientSession() as session:
        url = f"http://127.0.0.1:{proxy.admin_port}/metrics"
        async with session.get(url) as response:
            text = await response.text()
    name = f'agentops_proxy_records_dead_lettered_total{{reason="{reason}"}}'
    return sum(float(line.split()[-1]) for line in text.splitlines() if line.startswith(name))


async def test_rejected_records_are_kept_counted_and_replayed(cluster: Cluster) -> None:
    [proxy] = cluster.proxies
    letters = DeadLetters(proxy.home / "spool")
    # Another org's agent key through this proxy, which ships with its own org's key: the
    # control plane rejects the record (org mismatch). Before: acknowledged away, lost.
    _, other_key = await _owner_and_key(cluster.url, "other-org")
    await wait_for(lambda: _answers(proxy, "visitor", other_key))
    await wait_for(lambda: len(letters.read()) >= 1)
    [letter] = letters.read()
    assert letter.reason.startswith("org mismatch")
    assert letter.record["org"] == "other-org"
    assert await metric(proxy, "org_mismatch") == 1
    assert "kept as a dead letter" in proxy.log

    runner = CliRunner()
    spool = str(proxy.home / "spool")
    listed = await asyncio.to_thread(
        runner.invoke, dead_letters, ["list", "--spool", spool], catch_exceptions=False
    )
    assert "org mismatch" in listed.output
    assert "1 dead letter(s): org_mismatch 1" in listed.output

    # Replayed with a key of the record's own org (the fix an operator makes), it is stored.
    args = ["replay", "--spool", spool, "--url", cluster.url, "--key", other_key]
    replayed = await asyncio.to_thread(runner.invoke, dead_letters, args, catch_exceptions=False)
    assert "1 stored or already held, 0 still rejected" in replayed.output, replayed.output
    assert letters.read() == []
    print("\ndead letters: rejected 1, kept 1, dropped 0, replayed and stored 1")
    assert proxy.records()  # the spool itself went on as before


async def _answers(proxy: ProxyProcess, agent: str, key: str) -> bool:
    return await call(proxy, agent, key) == "answered"


async def test_a_shared_proxy_ships_every_orgs_records_with_one_any_org_key(
    pg_url: str, redis_url: str, tmp_path: Path
) -> None:
    async with running_cluster(pg_url, redis_url, tmp_path, proxies=0, operator=True) as c:
        body = {"name": "shared-proxy", "scopes": ["ingest:any-org"]}
        shipping_key = (await c.api("POST", "/api-keys", body))["key"]
        other_token, other_key = await _owner_and_key(c.url, "tenant-b")
        refused = await _post(c.url, "/api/v1/api-keys", body, other_token)
        assert refused[0] == 403  # only the operator org mints keys that ship for others
        proxy = await c.start_proxy(ship=True, api_key=shipping_key)
        letters = DeadLetters(proxy.home / "spool")

        await wait_for(lambda: _answers(proxy, "tenant-bot", other_key))
        await wait_for(lambda: _runs(c.url, other_token, "tenant-bot"))
        assert await _answers(proxy, "home-bot", c.ingest_key)
        await wait_for(lambda: _runs(c.url, c.token, "home-bot"))
        assert letters.read() == []

        # A record claiming another org is stored only when its verified agent key is that
        # org's: one naming the operator's own key is refused, not stored in tenant-b.
        forged = {"call_id": str(uuid.uuid4()), "org": "tenant-b", "agent": "forger",
                  "run_id": "r", "provider": "openai", "endpoint": "chat.completions",
                  "status": "ok", "started_at": "2026-12-05T00:00:00+00:00",
                  "api_key_id": c.ingest_key[4:16]}  # fmt: skip
        status, answer = await _post(
            c.url, "/api/v1/ingest/batch", {"records": [forged]}, shipping_key
        )
        assert status == 200
        assert answer["outcomes"][0]["reason"].startswith("org not vouched")
        print("\nshared proxy: 2 orgs, answered 2, stored 2 (each in its own org), forged 0 stored")


async def _runs(url: str, token: str, agent: str) -> bool:
    status, page = await _get(url, f"/api/v1/runs?agent={agent}", token)
    return status == 200 and bool(page["items"])


async def _post(url: str, path: str, body: Any, token: str) -> tuple[int, Any]:
    async with aiohttp.ClientSession() as session:
        headers = {"Authorization": f"Bearer {token}"}
        async with session.post(url + path, json=body, headers=headers) as response:
            return response.status, await response.json()


async def _get(url: str, path: str, token: str) -> tuple[int, Any]:
    async with aiohttp.ClientSession() as session:
        headers = {"Authorization": f"Bearer {token}"}
        async with session.get(url + path, headers=headers) as response:
            return response.status, await response.json()
