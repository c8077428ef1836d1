"""Many replicas at once against one budget: the limit holds, and crashed calls free it."""

from __future__ import annotations

import asyncio
import json
import sys
from decimal import Decimal as D
from pathlib import Path
from typing import Any

from redis.asyncio import Redis

from agentops.statebus import HoldRequest, RedisSpendCounters
from tests.agentops.statebus.spend_worker import AMOUNT, LIMIT
from tests.harness.builders import FakeClock

ROOT = Path(__file__).resolve().parents[3]


async def _worker_process(db_url: str, prefix: str, name: str, attempts: int) -> list[D]:
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "tests.agentops.statebus.spend_worker",
        db_url,
        prefix,
        name,
        str(attempts),
        cwd=ROOT,
        stdout=asyncio.subprocess.PIPE,
    )
    out, _ = await proc.communicate()
    assert proc.returncode == 0
    return [D(x) for x in json.loads(out)["committed"]]


async def test_200_concurrent_attempts_from_clients_and_processes_never_exceed_the_limit(
    db_url: str, prefix: str
) -> None:
    clients = [Redis.from_url(db_url) for _ in range(4)]
    seen: list[D] = []

    async def attempt(counters: RedisSpendCounters, hold_id: str) -> None:
        result = await counters.reserve(HoldRequest("shared", "p", hold_id, AMOUNT, LIMIT, 60))
        if result.ok:
            seen.append(result.usage.committed)
            await counters.settle("shared", "p", hold_id, AMOUNT)

    in_process = [
        attempt(RedisSpendCounters(client, prefix, timeout_seconds=5.0), f"c{i}-{n}")
        for i, client in enumerate(clients)
        for n in range(30)
    ]
    results = await asyncio.gather(
        *in_process,
        _worker_process(db_url, prefix, "proc-a", 40),
        _worker_process(db_url, prefix, "proc-b", 40),
    )
    for batch in results[len(in_process) :]:
        seen.extend(batch)

    counters = RedisSpendCounters(clients[0], prefix)
    usage = await counters.usage("shared", "p")
    assert len(seen) == int(LIMIT / AMOUNT)  # 200 attempts, exactly 40 fit
    assert max(seen) <= LIMIT  # spent + holds never passed the limit at any grant
    assert (usage.spent, usage.held, usage.calls) == (LIMIT, D(0), 40)
    for client in clients:
        await client.aclose()


async def test_holds_of_crashed_callers_are_reclaimed_under_contention(
    aredis: Redis[Any], prefix: str
) -> None:
    clock = FakeClock()
    counters = RedisSpendCounters(aredis, prefix, clock_ms=clock.ms, timeout_seconds=5.0)
    grants = await asyncio.gather(
        *(
            counters.reserve(HoldRequest("b", "p", f"lost-{n}", D("1"), D("10"), 30))
            for n in range(50)
        )
    )
    assert sum(g.ok for g in grants) == 10  # then every holder "crashes": nobody settles
    clock.advance(31)
    regrants = await asyncio.gather(
        *(
            counters.reserve(HoldRequest("b", "p", f"new-{n}", D("1"), D("10"), 30))
            for n in range(50)
        )
    )
    assert sum(g.ok for g in regrants) == 10
    assert (await counters.usage("b", "p")).holds == 10
