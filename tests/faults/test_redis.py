"""Redis down, then restarted empty (the documented deployment keeps no Redis persistence).

Two ``agentops proxy`` processes and a control plane with its worker run on a Redis of this
test's own. Agents call with real API keys as proxy credentials while that Redis is killed and,
a second later, started again empty; an admin kills an agent while it is down, and a proxy is
restarted. Figures: every valid call answered and stored once, no valid key refused, the
killed agent never answered, and the seconds until the kill issued during the outage is
enforced by every proxy once Redis is back.
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any

import aiohttp
import openai
import pytest

from tests.faults.harness import Figures, OwnRedis, call
from tests.faults.stores import stored_calls
from tests.harness.cluster import Cluster, ProxyProcess, running_cluster, wait_for

PROXY_ENV = {
    "AGENTOPS_PROXY__REQUIRE_CREDENTIALS": "true",
    "AGENTOPS_PROXY__SHIP_INTERVAL_SECONDS": "0.2",
    "AGENTOPS_PROXY__STATE_MAX_AGE_SECONDS": "30",
}
CONTROL_PLANE = {"run_worker": True, "worker_interval_seconds": 0.2}


class Traffic:
    """Valid calls round-robin over the proxies, and calls of a killed agent, until stopped."""

    def __init__(self, cluster: Cluster) -> None:
        self._cluster = cluster
        self._proxies = list(cluster.proxies)  # a proxy started later is called by its test
        self.statuses: list[int] = []
        self.rogue: list[int] = []
        self._stop = asyncio.Event()

    async def run(self) -> None:
        key = self._cluster.ingest_key
        while not self._stop.is_set():
            for proxy in self._proxies:
                if proxy.process.poll() is None:
                    self.statuses.append(await _tolerant_call(proxy, "worker", key))
                    self.rogue.append(await _tolerant_call(proxy, "rogue", key))
            await asyncio.sleep(0.02)

    def stop(self) -> None:
        self._stop.set()


async def _tolerant_call(proxy: ProxyProcess, agent: str, key: str) -> int:
    """A call; 0 when the proxy is not listening (it is being restarted)."""
    try:
        return await call(proxy, agent, key)
    except openai.APIConnectionError:
        return 0


async def _readyz(url: str) -> tuple[int, dict[str, Any]]:
    async with aiohttp.ClientSession() as session, session.get(f"{url}/readyz") as response:
        return response.status, await response.json()


async def _enforced_everywhere(cluster: Cluster, agent: str) -> bool:
    for proxy in cluster.proxies:
        if await call(proxy, agent, cluster.ingest_key) != 403:
            return False
    return True


# Real processes started, stopped and restarted on a shared machine: more than the default.
@pytest.mark.timeout(300)
async def test_redis_down_then_restarted_empty(
    pg_url: str, own_redis: OwnRedis, tmp_path: Path, figures_path: Path
) -> None:
    async with running_cluster(
        pg_url, own_redis.url, tmp_path, proxies=0, control_plane=CONTROL_PLANE
    ) as cluster:
        # Registered: records of unknown agent names are the identity work's concern.
        await cluster.api("POST", "/agents", {"name": "worker"})
        for _ in range(2):
            await cluster.start_proxy(resync_seconds=0.5, settings=PROXY_ENV)
        await cluster.api("POST", "/emergency/kill", {"scope": "agent", "target": "rogue",
                                                      "reason": "runaway", "create": True})  # fmt: skip
        await wait_for(lambda: _enforced_everywhere(cluster, "rogue"))
        traffic = Traffic(cluster)
        running = asyncio.create_task(traffic.run())
        await asyncio.sleep(0.5)

        # Redis down: the API keeps working on PostgreSQL alone, a kill is stored.
        own_redis.stop()
        down_at = time.monotonic()
        status, ready = await _readyz(cluster.url)
        api_statuses = [status]
        assert (status, ready["status"]) == (200, "degraded"), ready
        assert "degraded" in ready["checks"]["redis"]
        agents = await cluster.api("GET", "/agents")
        assert "items" in agents
        await cluster.api("POST", "/emergency/kill", {"scope": "agent", "target": "late",
                                                      "reason": "issued during the outage", "create": True})  # fmt: skip
        await asyncio.sleep(max(0.0, 1.0 - (time.monotonic() - down_at)))

        # Redis back, empty: proxies keep their state and keys; the control plane republishes.
        own_redis.start()
        up_at = time.monotonic()
        await wait_for(lambda: _enforced_everywhere(cluster, "late"))
        kill_seconds = time.monotonic() - up_at
        republished = own_redis.dbsize() > 0

        # A proxy restarted now answers 503 (retry) until its first sync, never 407.
        old = cluster.proxies[0]
        old.stop()
        cluster.proxies.remove(old)
        restarted = await cluster.start_proxy(
            resync_seconds=0.5, settings=PROXY_ENV, wait_ready=False, home=old.home
        )
        restart_statuses: list[int] = []
        async with asyncio.timeout(30):
            while not restart_statuses or restart_statuses[-1] != 200:
                restart_statuses.append(
                    await _tolerant_call(restarted, "worker", cluster.ingest_key)
                )
                await asyncio.sleep(0.01)
        await asyncio.sleep(0.3)
        traffic.stop()
        await running

        answered = traffic.statuses.count(200) + restart_statuses.count(200)
        await wait_for(lambda: _all_stored(pg_url, answered), deadline=30)
        rows, distinct = await stored_calls(pg_url, "worker")
        wrong = [s for s in traffic.statuses + restart_statuses if s not in (200, 0, 503)]
        figures = Figures(
            "redis down, then restarted empty",
            answered=answered,
            stored=distinct,
            duplicated=rows - distinct,
            refused_wrongly=len(wrong),
            seconds_to_recover=round(kill_seconds, 2),
            extra={
                "killed_agent_answered": traffic.rogue.count(200),
                "api_during_outage": api_statuses,
                "restarted_proxy_before_ready": sorted(set(restart_statuses) - {200}),
            },
        )
        figures.report(figures_path)
        assert republished
        assert wrong == []
        assert traffic.statuses.count(503) == 0
        assert traffic.rogue.count(200) == 0
        assert set(restart_statuses) <= {0, 503, 200}
        # Every answered call stored once; a call cut when its proxy was stopped (status 0 to
        # the agent) may be stored too, as what it was: never more than those.
        cut = traffic.statuses.count(0) + restart_statuses.count(0)
        assert rows == distinct
        assert answered <= distinct <= answered + cut


async def _all_stored(pg_url: str, answered: int) -> bool:
    rows, _ = await stored_calls(pg_url, "worker")
    return rows >= answered
