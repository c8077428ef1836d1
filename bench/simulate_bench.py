"""How long does a policy simulation take over 1M stored calls? (PostgreSQL, one process)

Fills a fresh store with ``--calls`` calls over 30 days (``bench/gen_calls.py``: 4 teams, the
bench agents, six models), then times ``POST /api/v1/policies/simulate --since 30d`` for two
drafts: conditions on who calls which model only (decided per group in SQL), and a time window
(every call of the matching groups replayed one by one). Prints seconds and calls/s. Target:
1M calls in under a minute.

    .venv/bin/python bench/simulate_bench.py [--calls 1000000]
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from pathlib import Path
from typing import Any

import aiohttp
import uvloop

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from _control_plane import bench_settings, owner
from gen_calls import generate
from ingest_bench import AGENTS

from control_plane.server import ControlPlaneServer
from tests.harness.databases import cloned_database, migrated_template
from tests.harness.servers import postgres_server

API = "/api/v1"
STATIC = [
    {"name": "no-4o", "action": "deny", "when": {"models": ["gpt-4o"]}},
    {"name": "cheaper", "action": "route", "route_to": "gpt-4o-mini",
     "when": {"models": ["claude-sonnet*"]}},
    {"name": "watch-team-1", "action": "deny", "mode": "shadow",
     "scope": {"kind": "team", "values": ["team-1"]}},
]  # fmt: skip
PER_CALL = [
    {"name": "office-hours-only", "action": "deny",
     "when": {"time_window": {"days": ["sat", "sun"], "timezone": "Europe/Paris"}}},
]  # fmt: skip


async def run(database_url: str, calls: int) -> None:
    settings = bench_settings(database_url)
    cp = ControlPlaneServer(settings)
    await cp.start()
    try:
        async with aiohttp.ClientSession(cp.url, timeout=aiohttp.ClientTimeout(600)) as http:
            signed = await owner(http, "s@bench.example.com", "bench")
            auth = {"Authorization": f"Bearer {signed['access_token']}"}
            for team in range(4):
                async with http.post(f"{API}/teams", json={"name": f"team-{team}"}, headers=auth):
                    pass
            for i, name in enumerate(AGENTS):
                agent = {"name": name, "team": f"team-{i % 4}"}
                async with http.post(f"{API}/agents", json=agent, headers=auth) as r:
                    assert r.status == 201, await r.text()
            t0 = time.perf_counter()
            await asyncio.to_thread(generate, database_url, signed["org_id"], calls, 30)
            print(f"generated {calls} calls in {time.perf_counter() - t0:.1f} s")
            for label, drafts in (
                ("per group (model, scope)", STATIC),
                ("per call (time window)", PER_CALL),
            ):
                t = time.perf_counter()
                async with http.post(f"{API}/policies/simulate", headers=auth,
                                     json={"policies": drafts, "since_days": 30}) as r:  # fmt: skip
                    report: Any = await r.json()
                    assert r.status == 200, report
                seconds = time.perf_counter() - t
                scanned = report["calls_scanned"]
                print(f"{label:>26}: {scanned} calls in {seconds:6.2f} s ({scanned / seconds:,.0f} calls/s), "
                      f"{report['calls_replayed_one_by_one']} replayed one by one, "
                      f"denied {report['totals']['counts']['denied']}")  # fmt: skip
    finally:
        await cp.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--calls", type=int, default=1_000_000)
    args = parser.parse_args()
    with (
        postgres_server() as server,
        migrated_template(server, "bench-sim") as template,
        cloned_database(server, template) as name,
    ):
        uvloop.run(run(server.database_url(name), args.calls))


if __name__ == "__main__":
    main()
