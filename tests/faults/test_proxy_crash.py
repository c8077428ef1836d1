"""Calls cut by a proxy crash: a real ``agentops proxy`` killed with SIGKILL mid-stream.

Slow streamed calls (the fake provider waits between chunks) are running through a proxy whose
shipper has already delivered their ``in_progress`` records when it is killed. Restarted on
the same spool, the proxy finalises each as ``interrupted`` (tokens and cost: the estimate)
before serving, and ships them: every call answered or cut is stored once, none is left
``in_progress``, no run stays ``running``. A second proxy killed the same way is not
restarted at first: the control plane's closer closes its calls past the (test-short)
timeout, and when that proxy does come back its own records still replace the closer's.
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any

import openai
import psycopg
import pytest

from control_plane import app_keys
from control_plane.jobs.open_calls import close_open_calls
from tests.faults.harness import HELLO, MODEL, Figures, OwnRedis, call, proxy_client
from tests.harness.cluster import Cluster, ProxyProcess, running_cluster, wait_for

PROXY_ENV = {
    "AGENTOPS_PROXY__REQUIRE_CREDENTIALS": "true",
    "AGENTOPS_PROXY__SHIP_INTERVAL_SECONDS": "0.2",
}
SLOW = {"x-fake-chunks": "40", "x-fake-chunk-delay-ms": "500"}  # 20 s: outlasts the kill
CUT = 4  # slow streams per proxy
OPEN_CALL_TIMEOUT = 1.0


def _calls(pg_url: str, agent: str) -> list[dict[str, Any]]:
    url = pg_url.replace("postgresql+psycopg://", "postgresql://")
    query = (
        "SELECT c.call_id, c.status, c.error_type, c.input_tokens, c.cost_usd, c.streamed"
        " FROM calls c JOIN agents a ON a.id = c.agent_id WHERE a.name = %s"
    )
    with psycopg.connect(url, connect_timeout=5) as conn:
        rows = conn.execute(query, (agent,)).fetchall()
    keys = ("call_id", "status", "error_type", "input_tokens", "cost_usd", "streamed")
    return [dict(zip(keys, row, strict=True)) for row in rows]


def _runs(pg_url: str, agent: str) -> list[tuple[str, int, int, int]]:
    url = pg_url.replace("postgresql+psycopg://", "postgresql://")
    query = (
        "SELECT r.status, r.in_progress, r.calls, r.errors FROM runs r"
        " JOIN agents a ON a.id = r.agent_id WHERE a.name = %s"
    )
    with psycopg.connect(url, connect_timeout=5) as conn:
        return [tuple(row) for row in conn.execute(query, (agent,)).fetchall()]


async def _stream(proxy: ProxyProcess, agent: str, key: str) -> str:
    """A slow streamed call: "ok" if it ends, "cut" if the proxy dies under it."""
    async with proxy_client(proxy, agent, key) as client:
        try:
            stream = await client.chat.completions.create(
                model=MODEL, messages=HELLO, stream=True, extra_headers=SLOW,
                stream_options={"include_usage": True},
            )  # fmt: skip
            async for _ in stream:
                pass
        except (openai.APIConnectionError, openai.APIStatusError):
            return "cut"
    return "ok"


async def _in_progress_stored(pg_url: str, agent: str, n: int) -> bool:
    rows = await asyncio.to_thread(_calls, pg_url, agent)
    return sum(r["status"] == "in_progress" for r in rows) >= n


async def _none_open(pg_url: str, agent: str, n: int) -> bool:
    rows = await asyncio.to_thread(_calls, pg_url, agent)
    return len(rows) >= n and not any(r["status"] == "in_progress" for r in rows)


async def _crash_mid_stream(
    cluster: Cluster, pg_url: str, agent: str, home: Path | None = None
) -> tuple[ProxyProcess, list[int], list[str]]:
    """Answered calls, then CUT slow streams under way when the proxy is SIGKILLed."""
    proxy = await cluster.start_proxy(resync_seconds=0.3, settings=PROXY_ENV, home=home)
    key = cluster.ingest_key
    answered = [await call(proxy, agent, key) for _ in range(3)]
    streams = [asyncio.create_task(_stream(proxy, agent, key)) for _ in range(CUT)]
    await wait_for(lambda: _in_progress_stored(pg_url, agent, CUT), deadline=60)
    await asyncio.sleep(1.0)  # past OPEN_ESTIMATE_AFTER_SECONDS: the prompt estimate is known
    proxy.process.kill()  # SIGKILL: no shutdown, no final record
    proxy.process.wait(timeout=10)
    cluster.proxies.remove(proxy)
    return proxy, answered, list(await asyncio.gather(*streams))


# Real processes started, killed and restarted on a shared machine: more than the default.
@pytest.mark.timeout(300)
async def test_calls_cut_by_a_proxy_crash_are_finalised_not_left_open(
    pg_url: str, own_redis: OwnRedis, tmp_path: Path, figures_path: Path
) -> None:
    settings = {"open_call_timeout_seconds": OPEN_CALL_TIMEOUT}
    async with running_cluster(
        pg_url, own_redis.url, tmp_path, proxies=0, control_plane=settings
    ) as cluster:
        for agent in ("worker", "orphan"):
            await cluster.api("POST", "/agents", {"name": agent})

        # 1. Killed, restarted on its spool: the proxy finalises what it was cut in.
        crashed, answered, streams = await _crash_mid_stream(cluster, pg_url, "worker")
        restarted_at = time.monotonic()
        restarted = await cluster.start_proxy(
            resync_seconds=0.3, settings=PROXY_ENV, home=crashed.home
        )
        total = len(answered) + CUT
        await wait_for(lambda: _none_open(pg_url, "worker", total), deadline=60)
        recovered = time.monotonic() - restarted_at
        after_restart = [await call(restarted, "worker", cluster.ingest_key)]
        await wait_for(lambda: _none_open(pg_url, "worker", total + 1), deadline=60)
        worker = await asyncio.to_thread(_calls, pg_url, "worker")
        worker_runs = await asyncio.to_thread(_runs, pg_url, "worker")

        # 2. Killed and not restarted: the control plane's closer closes its calls...
        gone, _, _ = await _crash_mid_stream(cluster, pg_url, "orphan")
        await asyncio.sleep(OPEN_CALL_TIMEOUT)
        await close_open_calls(cluster.control_plane.app[app_keys.JOB_CONTEXT])
        closed = await asyncio.to_thread(_calls, pg_url, "orphan")
        closed_runs = await asyncio.to_thread(_runs, pg_url, "orphan")
        # ... and when that proxy comes back after all, its own records replace the closer's.
        await cluster.start_proxy(resync_seconds=0.3, settings=PROXY_ENV, home=gone.home)
        await wait_for(lambda: _all_finalised_by_proxy(pg_url, "orphan"), deadline=60)
        orphan = await asyncio.to_thread(_calls, pg_url, "orphan")
        orphan_runs = await asyncio.to_thread(_runs, pg_url, "orphan")

    statuses = answered + after_restart
    interrupted = [r for r in worker if r["status"] == "interrupted"]
    figures = Figures(
        "proxy killed (SIGKILL) mid-stream, restarted on its spool",
        answered=statuses.count(200) + streams.count("ok"),
        stored=len({r["call_id"] for r in worker}),
        duplicated=len(worker) - len({r["call_id"] for r in worker}),
        refused_wrongly=len(statuses) - statuses.count(200),
        seconds_to_recover=round(recovered, 2),
        extra={
            "streams_cut": streams.count("cut"),
            "stored_interrupted": len(interrupted),
            "left_in_progress": sum(r["status"] == "in_progress" for r in worker),
            "runs_running": sum(r[0] == "running" for r in worker_runs),
            "closed_by_timeout": sum(r["error_type"] == "open_past_timeout" for r in closed),
            "closer_superseded_by_proxy": sum(r["error_type"] == "proxy_restarted" for r in orphan),
        },
    )
    figures.report(figures_path)

    assert streams == ["cut"] * CUT
    assert figures.refused_wrongly == 0
    assert (figures.stored, figures.duplicated) == (total + 1, 0)
    assert len(interrupted) == CUT
    for r in interrupted:  # the prompt estimate, priced: never shown as $0
        assert r["streamed"]
        assert r["error_type"] == "proxy_restarted"
        assert r["input_tokens"] > 0
        assert r["cost_usd"] is not None
        assert r["cost_usd"] > 0
    assert all(r[0] != "running" and r[1] == 0 for r in worker_runs)
    assert sum(r[2] for r in worker_runs) == total + 1  # each call counted once in its run

    assert [r["status"] for r in closed if r["streamed"]] == ["interrupted"] * CUT
    assert sum(r["error_type"] == "open_past_timeout" for r in closed) == CUT
    assert all(r[0] != "running" and r[1] == 0 for r in closed_runs)
    assert sum(r[3] for r in closed_runs) == CUT
    assert len(orphan) == len({r["call_id"] for r in orphan}) == 3 + CUT
    assert sum(r["error_type"] == "proxy_restarted" for r in orphan) == CUT
    # The closer's counts were taken back: each call counted once, none open.
    assert sum(r[2] for r in orphan_runs) == 3 + CUT
    assert sum(r[3] for r in orphan_runs) == CUT
    assert all(r[1] == 0 for r in orphan_runs)


async def _all_finalised_by_proxy(pg_url: str, agent: str) -> bool:
    rows = await asyncio.to_thread(_calls, pg_url, agent)
    return sum(r["error_type"] == "proxy_restarted" for r in rows) == CUT
