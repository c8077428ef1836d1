"""Console page render time over a large store: p50/p95 of each page, signed in as the owner.

``bench/gen_calls.py`` fills a fresh PostgreSQL store (a throwaway server) with N calls over 30
days, runs and rollups consistent with them; the control plane runs in this process, and each
console page is fetched over HTTP with the session cookie (HTML rendered server-side, the
page's API calls included), after a warm-up. Two API queries are timed the same way first, as
the reference the pages build on. Prints the figures; it is not a timed test.

    .venv/bin/python bench/console_bench.py [--calls 1000000] [--repeat 40]
"""

from __future__ import annotations

import argparse
import asyncio
import re
import sys
import time
from pathlib import Path

import aiohttp
import uvloop

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from _control_plane import bench_settings, owner
from gen_calls import generate

from control_plane.server import ControlPlaneServer
from tests.harness.databases import cloned_database, migrated_template
from tests.harness.servers import postgres_server

FRAGMENTS = {"/settings/unpriced"}
OWNER = {"email": "c@bench.example.com", "password": "correct horse", "org_name": "bench",
         "org_slug": "bench"}  # fmt: skip


async def _provision(http: aiohttp.ClientSession) -> tuple[str, str, list[str]]:
    signed = await owner(http, OWNER["email"], OWNER["org_slug"])
    auth = {"Authorization": f"Bearer {signed['access_token']}"}
    agent_ids = []
    for i in range(20):
        async with http.post("/api/v1/agents", json={"name": f"agent-{i:02d}"}, headers=auth) as r:
            agent_ids.append((await r.json())["id"])
    return str(signed["org_id"]), str(signed["access_token"]), agent_ids


async def _sign_in(http: aiohttp.ClientSession) -> None:
    async with http.get("/login") as r:
        token = re.search(r'name="csrf_token" value="([0-9a-f]+)"', await r.text())
    assert token
    form = {"csrf_token": token.group(1), "email": OWNER["email"], "password": OWNER["password"]}
    async with http.post("/login", data=form, allow_redirects=False) as r:
        assert r.status == 303, await r.text()


async def bench(database_url: str, calls: int, repeat: int) -> None:
    settings = bench_settings(database_url)
    cp = ControlPlaneServer(settings)
    await cp.start()
    try:
        jar = aiohttp.CookieJar(unsafe=True)
        async with aiohttp.ClientSession(cp.url, cookie_jar=jar) as http:
            org_id, token, agent_ids = await _provision(http)
            t0 = time.perf_counter()
            await asyncio.to_thread(generate, database_url, org_id, calls, 30)
            print(f"generated {calls} calls in {time.perf_counter() - t0:.1f} s")
            await _sign_in(http)
            auth = {"Authorization": f"Bearer {token}"}
            pages = ["/api/v1/dashboard/home?window=30d", "/api/v1/runs", "/?window=24h", "/?window=7d", "/?window=30d", "/agents",
                     f"/agents/{agent_ids[3]}?window=30d", "/runs", "/runs?sort=cost",
                     "/runs?agent=agent-03&status=error", "/costs?group_by=model",
                     "/costs?group_by=day", "/budgets", "/settings", "/settings/unpriced", "/connect"]  # fmt: skip
            everything: list[float] = []
            print(f"{'page':40} {'p50 ms':>8} {'p95 ms':>8}")
            for path in pages:
                samples = []
                for n in range(repeat + 3):
                    t = time.perf_counter()
                    headers = auth if path.startswith("/api/") else {}
                    async with http.get(path, allow_redirects=False, headers=headers) as r:
                        await r.read()
                        assert r.status == 200, (path, r.status)
                    if n >= 3:  # warm-up excluded
                        samples.append((time.perf_counter() - t) * 1000)
                samples.sort()
                # API rows are the reference; the unpriced fragment loads after its page
                if not path.startswith("/api/") and path not in FRAGMENTS:
                    everything += samples
                print(f"{path:40} {_p(samples, 0.5):8.1f} {_p(samples, 0.95):8.1f}")
            everything.sort()
            print(f"{'all pages':40} {_p(everything, 0.5):8.1f} {_p(everything, 0.95):8.1f}")
    finally:
        await cp.stop()


def _p(sorted_ms: list[float], q: float) -> float:
    return sorted_ms[max(0, int(len(sorted_ms) * q) - 1)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--calls", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=40)
    args = parser.parse_args()
    with (
        postgres_server() as server,
        migrated_template(server, "console_bench") as template,
        cloned_database(server, template) as name,
    ):
        uvloop.run(bench(server.database_url(name), args.calls, args.repeat))


if __name__ == "__main__":
    main()
