"""How fast does a published control-state change reach every proxy? (the bus alone)

Starts N holder processes, each with its own ``RedisStateSource`` subscribed to real Redis,
then publishes R versions one after another and measures, per process and version, the time
from just before ``publish`` to the holder applying it. Prints p50/p99/max. Target: p99 < 100 ms.

    .venv/bin/python bench/propagation.py [--holders 4] [--reps 300] [--redis redis://127.0.0.1:6379/13]
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing as mp
import statistics
import sys
import time
import uuid
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import redis
from redis.asyncio import Redis

from agentops.statebus import RedisStatePublisher
from agentops.wire.control import ControlSnapshot
from proxy.control.holder import ControlStateHolder
from proxy.control.redis_source import RedisStateSource


def holder_process(url: str, prefix: str, applied: Any, stop: Any) -> None:
    async def run() -> None:
        holder = ControlStateHolder()
        holder.add_listener(lambda s: applied.put((s.version, time.time_ns())))
        source = RedisStateSource(holder, redis_url=url, prefix=prefix, resync_seconds=30)
        await source.start()
        while not holder.ready:  # noqa: ASYNC110 (readiness signals nothing; poll it)
            await asyncio.sleep(0.01)
        applied.put(("ready", time.time_ns()))
        await asyncio.to_thread(stop.wait)
        await source.close()

    asyncio.run(run())


def snapshot(version: int) -> ControlSnapshot:
    return ControlSnapshot.model_validate(
        {"org": "bench", "version": version, "generated_at": "2025-06-01T00:00:00Z"}
    )


async def publish_all(url: str, prefix: str, holders: int, reps: int, applied: Any) -> list[float]:
    client: Redis[Any] = Redis.from_url(url)
    publisher = RedisStatePublisher(client, prefix)
    latencies: list[float] = []
    for version in range(1, reps + 1):
        started = time.time_ns()
        await publisher.publish(snapshot(version))
        for _ in range(holders):
            got, at = await asyncio.to_thread(applied.get, True, 10)
            assert got == version, (got, version)
            latencies.append((at - started) / 1e6)
        await asyncio.sleep(0.002)
    await client.aclose()  # type: ignore[attr-defined]
    return latencies


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--holders", type=int, default=4)
    parser.add_argument("--reps", type=int, default=300)
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/13")
    args = parser.parse_args()
    prefix = f"bench-{uuid.uuid4().hex[:8]}:"
    ctx = mp.get_context("spawn")
    applied, stop = ctx.Queue(), ctx.Event()
    procs = [
        ctx.Process(target=holder_process, args=(args.redis, prefix, applied, stop))
        for _ in range(args.holders)
    ]
    for proc in procs:
        proc.start()
    try:
        for _ in procs:
            assert applied.get(True, 30)[0] == "ready"
        latencies = asyncio.run(publish_all(args.redis, prefix, args.holders, args.reps, applied))
    finally:
        stop.set()
        for proc in procs:
            proc.join(10)
        cleanup = redis.Redis.from_url(args.redis)
        keys = list(cleanup.scan_iter(match=f"{prefix}*"))
        if keys:
            cleanup.delete(*keys)
        cleanup.close()
    cuts = statistics.quantiles(latencies, n=100)
    print(
        f"publish -> applied in {args.holders} holder processes, {args.reps} versions, "
        f"{len(latencies)} samples: p50 {cuts[49]:.2f} ms, p99 {cuts[98]:.2f} ms, "
        f"max {max(latencies):.2f} ms"
    )


if __name__ == "__main__":
    main()
