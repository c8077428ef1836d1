"""Ingestion throughput into PostgreSQL, and dashboard/cost query latency over 1M calls.

``--mode ingest``: records/s stored through ``POST /api/v1/ingest/batch``. One control-plane process (this one: the app on its own event loop, row-level security on,
rollups, runs and events maintained), batches of 500 records posted by a client that
pre-serialises its bodies so the measurement is the server's work. Records spread over 20
agents, 6 models and one run per 10 calls, like a busy proxy fleet.

``--mode queries``: ``bench/gen_calls.py`` fills a fresh store with 1M calls over 30 days
(runs and rollups consistent with them), then each dashboard, cost and runs query is timed
over HTTP against the control plane (p50/p95 over repeated requests after a warm-up).

    .venv/bin/python bench/ingest_bench.py --mode ingest [--records 100000] [--concurrency 4]
    .venv/bin/python bench/ingest_bench.py --mode queries [--calls 1000000] [--timezone Europe/Paris]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
import uvloop

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from _control_plane import bench_settings, owner
from gen_calls import generate

from agentops.heap import INGEST_YOUNG_THRESHOLD, settle_heap
from agentops.ids import uuid7
from control_plane.server import ControlPlaneServer
from tests.harness.databases import cloned_database, migrated_template
from tests.harness.servers import postgres_server

API = "/api/v1"
AGENTS = [f"agent-{i:02d}" for i in range(20)]
MODELS = [("gpt-4o", "openai"), ("gpt-4o-mini", "openai"), ("o3-mini", "openai"),
          ("claude-sonnet-4-6", "anthropic"), ("claude-3-5-haiku", "anthropic"),
          ("gemini-2.0-flash", "gemini")]  # fmt: skip


def make_record(org: str, n: int, start: datetime) -> dict[str, Any]:
    rnd = random.Random(n)
    model, provider = MODELS[rnd.randrange(len(MODELS))]
    started = start + timedelta(milliseconds=n * 7)
    latency = rnd.lognormvariate(6.5, 0.8)
    tokens_in, tokens_out = rnd.randint(50, 8000), rnd.randint(10, 1500)
    return {
        "call_id": str(uuid7()), "org": org, "agent": AGENTS[n % len(AGENTS)],
        "run_id": f"run-{n // 10}", "run_source": "header", "provider": provider,
        "endpoint": "chat.completions", "host": "api.example.com", "path": "/v1/chat/completions",
        "model_requested": model, "model_served": model, "status": "ok" if n % 50 else "error",
        "http_status": 200, "tokens": {"input": tokens_in, "output": tokens_out,
                                       "cached_read": tokens_in // 4},
        "cost": {"total_usd": str(round(tokens_in * 0.0000025 + tokens_out * 0.00001, 10)),
                 "price_version": "2026-11-01"},
        "started_at": started.isoformat(), "ended_at": (started + timedelta(milliseconds=latency)).isoformat(),
        "latency_ms": round(latency, 3), "tags": {"env": "prod"},
    }  # fmt: skip


async def provision(http: aiohttp.ClientSession, slug: str) -> str:
    token = (await owner(http, f"bench@{slug}.example.com", slug))["access_token"]
    auth = {"Authorization": f"Bearer {token}"}
    for name in AGENTS:
        async with http.post(f"{API}/agents", json={"name": name}, headers=auth) as r:
            assert r.status == 201
    async with http.post(f"{API}/api-keys", json={"name": "bench", "scopes": ["ingest"]},
                         headers=auth) as r:  # fmt: skip
        return str((await r.json())["key"])


async def bench(database_url: str, total: int, batch: int, concurrency: int) -> dict[str, Any]:
    settings = bench_settings(database_url)
    cp = ControlPlaneServer(settings)
    await cp.start()
    settle_heap(INGEST_YOUNG_THRESHOLD)  # as `agentops serve` does once started
    try:
        async with aiohttp.ClientSession(cp.url) as http:
            key = await provision(http, "bench")
            start = datetime.now(UTC) - timedelta(days=1)
            bodies = [
                json.dumps(
                    {"records": [make_record("bench", n, start) for n in range(i, i + batch)]}
                ).encode()
                for i in range(0, total, batch)
            ]
            headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}
            queue: asyncio.Queue[bytes] = asyncio.Queue()
            for body in bodies:
                queue.put_nowait(body)
            stored = 0
            latencies: list[float] = []

            async def worker() -> None:
                nonlocal stored
                while not queue.empty():
                    body = queue.get_nowait()
                    t = time.perf_counter()
                    async with http.post(f"{API}/ingest/batch", data=body, headers=headers) as r:
                        answer = await r.json()
                        assert r.status == 200, answer
                    latencies.append(time.perf_counter() - t)
                    stored += answer["stored"]

            t0 = time.perf_counter()
            await asyncio.gather(*(worker() for _ in range(concurrency)))
            elapsed = time.perf_counter() - t0
    finally:
        await cp.stop()
    latencies.sort()
    return {
        "records": stored, "seconds": elapsed, "records_per_s": stored / elapsed,
        "batch_p50_ms": latencies[len(latencies) // 2] * 1000,
        "batch_p95_ms": latencies[int(len(latencies) * 0.95)] * 1000,
    }  # fmt: skip


async def query_bench(database_url: str, calls: int, repeat: int, timezone: str) -> None:
    settings = bench_settings(database_url)
    cp = ControlPlaneServer(settings)
    await cp.start()
    settle_heap(INGEST_YOUNG_THRESHOLD)
    try:
        async with aiohttp.ClientSession(cp.url) as http:
            signed = await owner(http, "q@bench.example.com", "bench")
            auth = {"Authorization": f"Bearer {signed['access_token']}"}
            # Days are the org's calendar days: outside UTC they come from the hourly rollups.
            async with http.patch(f"{API}/orgs/profile", json={"timezone": timezone},
                                  headers=auth) as r:  # fmt: skip
                assert r.status == 200, await r.text()
            for team in range(4):
                body = {"name": f"team-{team}"}
                async with http.post(f"{API}/teams", json=body, headers=auth) as r:
                    assert r.status == 201
            agent_ids = []
            for i, name in enumerate(AGENTS):
                agent = {"name": name, "team": f"team-{i % 4}"}
                async with http.post(f"{API}/agents", json=agent, headers=auth) as r:
                    agent_ids.append((await r.json())["id"])
            t0 = time.perf_counter()
            timings = await asyncio.to_thread(generate, database_url, signed["org_id"], calls, 30)
            print(f"generated {calls} calls in {time.perf_counter() - t0:.1f} s "
                  + ", ".join(f"{k} {v:.1f} s" for k, v in timings.items()))  # fmt: skip
            queries = [
                "/dashboard/home?window=24h", "/dashboard/home?window=7d",
                "/dashboard/home?window=30d", f"/dashboard/agent/{agent_ids[3]}?window=30d",
                "/costs/summary?group_by=team", "/costs/summary?group_by=agent",
                "/costs/summary?group_by=model", "/costs/summary?group_by=day",
                f"/costs/by-agent/{agent_ids[3]}", "/costs/by-team/team-1",
                "/runs", "/runs?sort=cost", "/runs?agent=agent-03&status=error",
                "/runs?model=gpt-4o&limit=50",
            ]  # fmt: skip
            print(f"{'query':45} {'p50 ms':>8} {'p95 ms':>8}")
            for path in queries:
                samples = []
                for n in range(repeat + 3):
                    t = time.perf_counter()
                    async with http.get(API + path, headers=auth) as r:
                        await r.read()
                        assert r.status == 200, path
                    if n >= 3:  # warm-up excluded
                        samples.append((time.perf_counter() - t) * 1000)
                samples.sort()
                p50, p95 = samples[len(samples) // 2], samples[int(len(samples) * 0.95) - 1]
                print(f"{path:45} {p50:8.1f} {p95:8.1f}")
    finally:
        await cp.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--mode", choices=["ingest", "queries"], default="ingest")
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--batch", type=int, default=500)
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--calls", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=40)
    parser.add_argument("--timezone", default="UTC", help="the org's timezone (queries mode)")
    args = parser.parse_args()
    with (
        postgres_server() as server,
        migrated_template(server, "bench") as template,
        cloned_database(server, template) as name,
    ):
        url = server.database_url(name)
        # uvloop, as ``agentops serve`` runs the control plane
        if args.mode == "queries":
            uvloop.run(query_bench(url, args.calls, args.repeat, args.timezone))
            return
        result = uvloop.run(bench(url, args.records, args.batch, args.concurrency))
    print(
        f"{'records':>10} {'seconds':>8} {'records/s':>10} {'batch p50 ms':>13} {'batch p95 ms':>13}"
    )
    print(f"{result['records']:>10} {result['seconds']:>8.2f} {result['records_per_s']:>10.0f} "
          f"{result['batch_p50_ms']:>13.1f} {result['batch_p95_ms']:>13.1f}")  # fmt: skip


if __name__ == "__main__":
    main()
