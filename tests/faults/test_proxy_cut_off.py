"""A proxy cut off from Redis while its peer is not.

Proxy A reaches Redis through a relay of this test that is switched to refusing; proxy B is
connected directly. A runs ``refuse_all`` with a short staleness bound. Shows: A's
``agentops_proxy_control_state_age_seconds`` grows while its sync fails, ``/readyz`` turns 503,
``/emergency`` and ``agentops status`` name A as stale with its age, a kill issued meanwhile is
enforced by B at once and by A within seconds of Redis coming back.
"""

from __future__ import annotations

import re
import time
from pathlib import Path

import aiohttp
import pytest

from cli.emergency_cmd import status
from tests.faults.harness import OwnRedis, Relay, call, call_figures
from tests.harness.cluster import Cluster, ProxyProcess, running_cluster, wait_for

BOUND = 1.5
PROXY_ENV = {
    "AGENTOPS_PROXY__REQUIRE_CREDENTIALS": "true",
    "AGENTOPS_PROXY__SHIP_INTERVAL_SECONDS": "0.2",
    "AGENTOPS_PROXY__STATE_MAX_AGE_SECONDS": str(BOUND),
}


async def _admin(proxy: ProxyProcess, path: str) -> tuple[int, str]:
    url = f"http://127.0.0.1:{proxy.admin_port}{path}"
    async with aiohttp.ClientSession() as session, session.get(url) as response:
        return response.status, await response.text()


async def _state_age(proxy: ProxyProcess) -> float:
    _, text = await _admin(proxy, "/metrics")
    found = re.search(r"^agentops_proxy_control_state_age_seconds (\S+)$", text, re.M)
    assert found, "the age gauge is exported"
    return float(found.group(1))


async def _named_stale(cluster: Cluster, proxy: ProxyProcess) -> bool:
    shown = await cluster.api("GET", "/emergency")
    return any(p["proxy_id"] == proxy.proxy_id and p["stale"] for p in shown["proxies"])


# Real processes started, stopped and restarted on a shared machine: more than the default.
@pytest.mark.timeout(300)
async def test_a_proxy_cut_off_from_redis_is_named_stale_and_catches_up(
    pg_url: str, own_redis: OwnRedis, tmp_path: Path, figures_path: Path
) -> None:
    relay = Relay(own_redis.port)
    await relay.start()
    try:
        async with running_cluster(pg_url, own_redis.url, tmp_path, proxies=0) as cluster:
            await cluster.api("POST", "/agents", {"name": "worker"})
            cut_env = PROXY_ENV | {
                "AGENTOPS_CONTROL_PLANE__REDIS_URL": f"redis://127.0.0.1:{relay.port}/0",
                "AGENTOPS_PROXY__STALE_STATE_MODE": "refuse_all",
            }
            cut = await cluster.start_proxy(resync_seconds=0.3, settings=cut_env)
            peer = await cluster.start_proxy(resync_seconds=0.3, settings=PROXY_ENV)
            key = cluster.ingest_key
            statuses = [await call(cut, "worker", key), await call(peer, "worker", key)]
            assert await _state_age(cut) < BOUND

            await relay.refuse()
            cut_at = time.monotonic()
            await wait_for(lambda: _named_stale(cluster, cut))
            named_after = time.monotonic() - cut_at
            age = await _state_age(cut)
            ready_status, ready_body = await _admin(cut, "/readyz")
            shown = await cluster.cli(status)
            await cluster.api("POST", "/emergency/kill", {"scope": "agent", "target": "rogue",
                                                          "reason": "while A is cut off", "create": True})  # fmt: skip
            peer_enforced = await call(peer, "rogue", key)
            cut_refusal = await call(cut, "worker", key)  # refuse_all: 503, retry later
            statuses.append(await call(peer, "worker", key))

            await relay.restore()
            back_at = time.monotonic()
            await wait_for(lambda: _refuses(cut, "rogue", key))
            recovered = time.monotonic() - back_at
            ready_after, _ = await _admin(cut, "/readyz")
            statuses += [await call(cut, "worker", key), await call(peer, "worker", key)]

            extra = {
                "state_age_when_named_stale_s": round(age, 2),
                "named_stale_after_s": round(named_after, 2),
                "readyz_while_cut": ready_status,
                "call_while_cut": cut_refusal,
                "kill_at_peer_while_cut": peer_enforced,
            }
            figures = await call_figures(
                "proxy cut off from redis (refuse_all, bound 1.5 s)",
                pg_url,
                statuses,
                recovered,
                extra,
            )
            figures.report(figures_path)
    finally:
        await relay.close()
    assert age > BOUND
    assert ready_status == 503
    assert "stale_refuse_all" in ready_body
    assert re.search(rf"{cut.proxy_id} .*STALE \(control state \d+ s old\)", shown.output)
    assert not re.search(rf"{peer.proxy_id} .*STALE", shown.output)
    assert (peer_enforced, cut_refusal) == (403, 503)
    assert ready_after == 200
    assert figures.answered == len(statuses)
    assert (figures.stored, figures.duplicated) == (figures.answered, 0)


async def _refuses(proxy: ProxyProcess, agent: str, key: str) -> bool:
    return await call(proxy, agent, key) == 403
