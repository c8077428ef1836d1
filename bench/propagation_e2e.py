"""How long from the kill API's answer to the first refused call at every proxy? (end to end)

Starts a real deployment in miniature (control plane on PostgreSQL and Redis, N ``agentops
proxy`` processes, the fake provider upstream; see tests/harness/cluster.py), then R times:
POST /emergency/kill for one agent, and from the moment the API has answered, every proxy is
called in a tight loop (one caller per proxy, raw HTTP, no SDK) until it refuses; the time to
each proxy's first 403 is one sample. A resume follows and is waited out before the next kill.
Prints p50/p99/max over all samples. Target: p99 < 100 ms.

The long-lived proxies are warmed up first (three rounds), so those samples are later kills.
``--fresh N`` then starts N new proxies one after another and measures each one's first kill of
its life separately (the kill that matters most, and the one a lazily loaded cost would delay),
with each proxy's start-up time (spawn to ready) and resident memory once ready.

    .venv/bin/python bench/propagation_e2e.py [--proxies 4] [--reps 200] [--fresh 10]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import aiohttp

from tests.harness.cluster import Cluster, ProxyProcess, running_cluster, wait_for
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


@dataclass
class Fresh:
    first_kill_ms: float
    startup_s: float
    rss_mib: float


async def first_kill(cluster: Cluster, session: aiohttp.ClientSession, n: int) -> Fresh:
    """Start a new proxy, kill the agent once, and time that proxy's first refusal."""
    started = time.perf_counter()
    proxy = await cluster.start_proxy()
    startup = time.perf_counter() - started
    rss = _rss_mib(proxy.process.pid)
    await wait_for(cluster.all_applied)
    kill = {"scope": "agent", "target": AGENT, "reason": f"first kill {n}"}
    await cluster.api("POST", "/emergency/kill", kill)
    answered = time.perf_counter_ns()
    sample = await until_status(session, proxy, 403, answered)
    await cluster.api("POST", "/emergency/resume", {"scope": "agent", "target": AGENT})
    resumed = time.perf_counter_ns()
    await asyncio.gather(*(until_status(session, p, 200, resumed) for p in cluster.proxies))
    cluster.proxies.remove(proxy)
    proxy.stop()
    return Fresh(sample, startup, rss)


def _rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


async def run(
    proxies: int, reps: int, fresh: int, database_url: str, redis_url: str
) -> tuple[list[float], list[Fresh]]:
    with tempfile.TemporaryDirectory() as home:
        async with running_cluster(database_url, redis_url, Path(home), proxies=proxies) as c:
            await wait_for(c.all_applied)
            samples: list[float] = []
            async with aiohttp.ClientSession() as session:
                for n in range(3):  # warm-up: connections, code paths
                    await one_round(c, session, -n)
                for n in range(reps):
                    samples.extend(await one_round(c, session, n))
                firsts = [await first_kill(c, session, n) for n in range(fresh)]
            return samples, firsts


def _spread(label: str, values: list[float], unit: str) -> str:
    ordered = sorted(values)
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
    return (
        f"{label}: p50={statistics.median(ordered):.1f} {unit} p99={p99:.1f} {unit} "
        f"max={ordered[-1]:.1f} {unit}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--proxies", type=int, default=4)
    parser.add_argument("--reps", type=int, default=200)
    parser.add_argument("--fresh", type=int, default=0, help="fresh proxies for first kills")
    args = parser.parse_args()
    with (
        postgres_server() as pg,
        redis_server() as redis_base,
        migrated_template(pg, "bench") as template,
        cloned_database(pg, template) as db,
    ):
        url = pg.database_url(db)
        samples, firsts = asyncio.run(
            run(args.proxies, args.reps, args.fresh, url, f"{redis_base}/12")
        )
    ordered = sorted(samples)
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
    print(f"proxies={args.proxies} reps={args.reps} samples={len(samples)}")
    print(_spread("later kills, API answered -> first refused call", samples, "ms"))
    print("target p99 < 100 ms:", "met" if p99 < 100 else "NOT met")
    if firsts:
        first_ms = [f.first_kill_ms for f in firsts]
        print(f"fresh proxies={len(firsts)}")
        print(_spread("first kill of a proxy's life", first_ms, "ms"))
        print(_spread("start-up, spawn -> ready", [f.startup_s for f in firsts], "s"))
        print(_spread("RSS once ready", [f.rss_mib for f in firsts], "MiB"))
        print("target first kill max < 100 ms:", "met" if max(first_ms) < 100 else "NOT met")


if __name__ == "__main__":
    main()
