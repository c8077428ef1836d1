"""The shipper: spool -> control plane, in batches, at least once, off the agent's call path.

Loop: ``read_batch`` -> ``sink.deliver`` -> ``ack``. A batch holds at most ``ship_batch_size``
records and a record waits at most ``ship_interval_seconds`` (plus delivery time) before it is
sent. A failed delivery is retried after an exponential backoff with full jitter; nothing is
acknowledged until the sink has answered, so a crash on either side re-sends, never loses.
Within a batch only the last record of a call id is sent (a streamed call's final record
supersedes its ``in_progress`` one). A record the control plane rejects is kept in the
dead-letter file (``proxy/dead_letters.py``) before the batch is acknowledged, never dropped.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Callable
from typing import Any

from agentops import backoff
from agentops.settings import ProxySettings
from agentops.sinks import RecordSink
from agentops.tasks import TaskSet
from proxy import metrics
from proxy.dead_letters import DeadLetters
from proxy.spool import Spool

log = logging.getLogger(__name__)

BACKOFF_BASE_SECONDS = 0.5
BACKOFF_CAP_SECONDS = 60.0


def backoff_delay(failures: int, rand: Callable[[], float] = random.random) -> float:
    """Full-jitter exponential backoff: uniform in [0, min(cap, base * 2**(failures-1))]."""
    return backoff.backoff_delay(
        failures - 1, base=BACKOFF_BASE_SECONDS, cap=BACKOFF_CAP_SECONDS, spread=1.0, draw=rand()
    )


def latest_per_call(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Keep the last record of each call id, in the order of those last records."""
    last: dict[Any, int] = {}
    for index, record in enumerate(records):
        last[record.get("call_id", index)] = index
    keep = sorted(last.values())
    return [records[i] for i in keep]


class Shipper:
    def __init__(self, spool: Spool, sink: RecordSink, settings: ProxySettings) -> None:
        self._spool = spool
        self._sink = sink
        self._batch = settings.ship_batch_size
        self._interval = settings.ship_interval_seconds
        self._tasks = TaskSet("shipper")
        self.dead_letters = DeadLetters(spool.directory)
        self.failures = 0

    def start(self) -> None:
        self._tasks.spawn(self._run(), name="shipper")

    async def stop(self) -> None:
        await self._tasks.close()

    async def ship_once(self) -> int:
        """Deliver one batch; returns how many spool lines it consumed. Raises on failure."""
        token, records = await asyncio.to_thread(self._spool.read_batch, self._batch)
        if token is None:
            return 0
        if records:
            sent = latest_per_call(records)
            answer = await self._sink.deliver(sent)
            metrics.SHIPPED.labels("stored").inc(answer.stored)
            metrics.SHIPPED.labels("duplicate").inc(answer.duplicate)
            metrics.SHIPPED.labels("rejected").inc(answer.rejected)
            if answer.rejected:
                await asyncio.to_thread(self.dead_letters.keep_rejected, sent, answer)
        await asyncio.to_thread(self._spool.ack, token)
        return token.lines

    async def _run(self) -> None:
        while True:
            try:
                shipped = await self.ship_once()
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # noqa: BLE001 - any sink failure is retried, never fatal
                self.failures += 1
                metrics.SHIP_FAILURES.inc()
                delay = backoff_delay(self.failures)
                log.warning(
                    "record delivery failed; retrying",
                    extra={
                        "error_type": type(exc).__name__,
                        "retry_in_s": round(delay, 2),
                        "failures": self.failures,
                    },
                )
                await asyncio.sleep(delay)
                continue
            self.failures = 0
            if shipped < self._batch:
                await asyncio.sleep(self._interval)
