"""PostgreSQL black-holed (packets swallowed, not refused), then refusing, then back.

The control plane reaches its (real) database through a relay of this test that can swallow
traffic; a proxy keeps answering calls from memory and ships their records. Figures: every
answered call stored exactly once after the outage, API and ``/readyz`` answers bounded in time
with 503 + Retry-After (never 500, never a hang), and the seconds until the API serves again.
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import aiohttp
import pytest

from tests.faults.harness import Relay, call, call_figures
from tests.harness.cluster import Cluster, running_cluster, wait_for

PROXY_ENV = {
    "AGENTOPS_PROXY__REQUIRE_CREDENTIALS": "true",
    "AGENTOPS_PROXY__SHIP_INTERVAL_SECONDS": "0.2",
}
# The documented default bounds: 3 s to start a transaction, readiness within 2 s.
CONTROL_PLANE = {"database_timeout_seconds": 3.0}


def _through(relay: Relay, pg_url: str) -> str:
    parts = urlsplit(pg_url)
    netloc = (
        f"{parts.username}@127.0.0.1:{relay.port}" if parts.username else f"127.0.0.1:{relay.port}"
    )
    return urlunsplit(parts._replace(netloc=netloc))


async def _get(cluster: Cluster, path: str) -> tuple[int, float, str | None]:
    """Status, seconds taken and Retry-After of one GET (``/readyz`` or an API path)."""
    url = cluster.url + (path if path == "/readyz" else f"/api/v1{path}")
    headers = {"Authorization": f"Bearer {cluster.token}"}
    started = time.monotonic()
    async with aiohttp.ClientSession() as session, session.get(url, headers=headers) as response:
        await response.read()
        return response.status, time.monotonic() - started, response.headers.get("Retry-After")


# Real processes started, stopped and restarted on a shared machine: more than the default.
@pytest.mark.timeout(300)
async def test_postgres_black_holed_then_refusing_then_back(
    pg_url: str, redis_url: str, tmp_path: Path, figures_path: Path
) -> None:
    relay = Relay(urlsplit(pg_url).port or 5432)
    await relay.start()
    try:
        async with running_cluster(
            _through(relay, pg_url), redis_url, tmp_path, proxies=0, control_plane=CONTROL_PLANE
        ) as cluster:
            await cluster.api("POST", "/agents", {"name": "worker"})
            proxy = await cluster.start_proxy(resync_seconds=0.5, settings=PROXY_ENV)
            statuses: list[int] = []
            stop = asyncio.Event()

            async def traffic() -> None:
                while not stop.is_set():
                    statuses.append(await call(proxy, "worker", cluster.ingest_key))
                    await asyncio.sleep(0.05)

            running = asyncio.create_task(traffic())
            await asyncio.sleep(0.5)

            await relay.swallow()
            swallowed = [await _get(cluster, "/agents"), await _get(cluster, "/agents")]
            ready = await _get(cluster, "/readyz")
            await relay.refuse()
            refused = await _get(cluster, "/agents")
            await relay.restore()
            back_at = time.monotonic()
            await wait_for(lambda: _serves(cluster), deadline=30)
            recovered = time.monotonic() - back_at
            await asyncio.sleep(0.3)
            stop.set()
            await running

            extra = {
                "api_while_swallowed": [(s, round(t, 2), r) for s, t, r in swallowed],
                "readyz_while_swallowed": (ready[0], round(ready[1], 2)),
                "api_while_refused": (refused[0], round(refused[1], 2), refused[2]),
            }
            figures = await call_figures(
                "postgresql black-holed, then refusing", pg_url, statuses, recovered, extra
            )
            figures.extra["all_records_stored_after_s"] = round(time.monotonic() - back_at, 2)
            figures.report(figures_path)
    finally:
        await relay.close()
    for status, seconds, retry_after in [*swallowed, refused]:
        assert status == 503
        assert retry_after is not None
        assert seconds < 10  # the bound is 3 s; this only catches a hang
    assert ready[0] == 503
    assert ready[1] < 5
    assert figures.answered == len(statuses)
    assert (figures.stored, figures.duplicated) == (figures.answered, 0)


async def _serves(cluster: Cluster) -> bool:
    return (await _get(cluster, "/agents"))[0] == 200
