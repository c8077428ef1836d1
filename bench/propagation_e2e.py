"""How long from the kill API's answer to the first refused call at every proxy? (end to end)

Starts a real deployment in miniature (control plane on PostgreSQL and Redis, N ``agentops
proxy`` processes, the fake provider upstream; see tests/emergency/cluster.py), then R times:
POST /emergency/kill for one agent, and from the moment the API has answered, every proxy is
called in a tight loop (one caller per proxy, raw HTTP, no SDK) until it refuses; the time to
each proxy's first 403 is one sample. A resume follows and is waited out before the next kill.
Prints p50/p99/max over all samples. Target: p99 < 100 ms.

    .venv/bin/python bench/propagation_e2e.py [--proxies 4] [--reps 200]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import aiohttp

from tests.emergency.cluster import Cluster, ProxyProcess, running_cluster, wait_for
from tests.harness.databases import cloned_database, migrated_template
from tests.harness.servers import postgres_server, redis_server

AGENT = "bench-agent"
BODY = {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "hi"}]}


async def until_status(
    session: aiohttp.ClientSession, proxy: ProxyProcess, wanted: int, since_ns: int
) -> float:
    """Call the proxy back to back until it answers ``wanted``; ms from ``since_ns``."""
    url = f"{proxy.base_url}/chat/completions"
    headers = {"x-agentops-agent": AGENT, "authorization": "Bearer sk-bench"}
    while True:
        async with session.post(url, json=BODY, headers=headers) as response:
            await response.read()
            if response.status == wanted:
                return (time.perf_counter_ns() - since_ns) / 1e6


async def one_round(cluster: Cluster, session: aiohttp.ClientSession, n: int) -> list[float]:
    kill = {"scope": "agent", "target": AGENT, "reason": f"bench round {n}"}
    await cluster.api("POST", "/emergency/kill", kill)
    answered = time.perf_counter_ns()
    samples = await asyncio.gather(
        *(until_status(session, proxy, 403, answered) for proxy in cluster.proxies)
    )
    await cluster.api("POST", "/emergency/resume", {"scope": "agent", "target": AGENT})
    resumed = time.perf_counter_ns()
    await asyncio.gather(*(until_status(session, p, 200, resumed) for p in cluster.proxies))
    return list(samples)


async def run(proxies: int, reps: int, database_url: str, redis_url: str) -> list[float]:
    with tempfile.TemporaryDirectory() as home:
        async with running_cluster(database_url, redis_url, Path(home), proxies=proxies) as c:
            await wait_for(c.all_applied)
            samples: list[float] = []
            async with aiohttp.ClientSession() as session:
                for n in range(3):  # warm-up: connections, code paths
                    await one_round(c, session, -n)
                for n in range(reps):
                    samples.extend(await one_round(c, session, n))
            return samples


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--proxies", type=int, default=4)
    parser.add_argument("--reps", type=int, default=200)
    args = parser.parse_args()
    with (
        postgres_server() as pg,
        redis_server() as redis_base,
        migrated_template(pg, "bench") as template,
        cloned_database(pg, template) as db,
    ):
        samples = asyncio.run(run(args.proxies, args.reps, pg.database_url(db), f"{redis_base}/12"))
    ordered = sorted(samples)
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
    print(f"proxies={args.proxies} reps={args.reps} samples={len(samples)}")
    print(
        f"API answered -> first refused call: p50={statistics.median(ordered):.1f} ms "
        f"p99={p99:.1f} ms max={ordered[-1]:.1f} ms"
    )
    print("target p99 < 100 ms:", "met" if p99 < 100 else "NOT met")


if __name__ == "__main__":
    main()
