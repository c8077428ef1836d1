"""The background worker: a periodic loop over jobs, running inside the API process.

Later issues (alert deliveries, budget periods, reconciliation) append jobs to ``JOBS``. A job
gets the application, so it reaches the database and Redis through the same typed keys as
the handlers. A failing job is logged and retried next tick; it never stops the loop.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from aiohttp import web

log = logging.getLogger(__name__)

Job = Callable[[web.Application], Awaitable[None]]

JOBS: tuple[Job, ...] = ()


class Worker:
    def __init__(self, app: web.Application, interval: float, jobs: tuple[Job, ...] = JOBS) -> None:
        self._app = app
        self._interval = interval
        self.jobs = list(jobs)
        self.ticks = 0

    async def run(self) -> None:
        while True:
            await self.tick()
            await asyncio.sleep(self._interval)

    async def tick(self) -> None:
        for job in self.jobs:
            try:
                await job(self._app)
            except Exception:
                log.exception("worker job failed", extra={"job": getattr(job, "__name__", "?")})
        self.ticks += 1
