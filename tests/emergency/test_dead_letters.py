"""A record the control plane rejects is kept as a dead letter, counted and logged, never
dropped; once its cause is fixed, a replay stores it.

A real ``agentops proxy`` process shipping to the control plane (PostgreSQL, Redis), the
official openai SDK, the CLI for listing and replaying.
"""

from __future__ import annotations

import asyncio
import base64
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import openai
import pytest
from click.testing import CliRunner

from cli.dead_letters_cmd import dead_letters
from proxy.dead_letters import DeadLetters
from tests.emergency.cluster import Cluster, ProxyProcess, _owner_and_key, running_cluster, wait_for


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
