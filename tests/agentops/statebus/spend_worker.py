"""A separate process reserving and settling against one budget (run by the concurrency test).

Usage: python -m tests.agentops.statebus.spend_worker <redis-url> <prefix> <name> <attempts>
Prints one JSON object: the committed amounts seen on each successful reserve.
"""

from __future__ import annotations

import asyncio
import json
import sys
from decimal import Decimal

from redis.asyncio import Redis

from agentops.statebus import HoldRequest, RedisSpendCounters

LIMIT = Decimal("10")
AMOUNT = Decimal("0.25")


async def main(url: str, prefix: str, name: str, attempts: int) -> None:
    client = Redis.from_url(url)
    counters = RedisSpendCounters(client, prefix, timeout_seconds=5.0)
    committed: list[str] = []

    async def one(n: int) -> None:
        result = await counters.reserve(
            HoldRequest("shared", "p", f"{name}-{n}", AMOUNT, LIMIT, 60)
        )
        if result.ok:
            committed.append(str(result.usage.committed))
            await asyncio.sleep(0)
            await counters.settle("shared", "p", f"{name}-{n}", AMOUNT)

    await asyncio.gather(*(one(n) for n in range(attempts)))
    await client.aclose()
    print(json.dumps({"committed": committed}))


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])))
