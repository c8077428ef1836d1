"""The background worker: a periodic loop over jobs, running inside the API process.

Its own jobs (partitions ahead) are listed in ``_default_jobs``; resources that own work (the
state bus, budgets) add theirs from their cleanup contexts. A job
gets the application, so it reaches the database and Redis through the same typed keys as
the handlers. A failing job is logged and retried next tick; it never stops the loop.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable

from aiohttp import web
from redis.exceptions import RedisError
from sqlalchemy.exc import InterfaceError, OperationalError

log = logging.getLogger(__name__)

Job = Callable[[web.Application], Awaitable[None]]


class Every:
    """Run ``job`` at most once per ``seconds`` (first at the first tick): for jobs that need
    not follow the worker's one-second tick, such as creating next month's partitions."""

    def __init__(self, seconds: float, job: Job) -> None:
        self.seconds = seconds
        self.job = job
        self.__name__ = getattr(job, "__name__", "job")
        self._next = 0.0

    async def __call__(self, app: web.Application) -> None:
        now = time.monotonic()
        if now < self._next:
            return
        self._next = now + self.seconds
        await self.job(app)


def _default_jobs() -> tuple[Job, ...]:
    from control_plane.ingest.partitions import ensure_partitions_job, retention_job

    return (Every(3600.0, ensure_partitions_job), Every(3600.0, retention_job))


class Worker:
    def __init__(
        self, app: web.Application, interval: float, jobs: tuple[Job, ...] | None = None
    ) -> None:
        self._app = app
        self._interval = interval
        self.jobs = list(_default_jobs() if jobs is None else jobs)
        self.ticks = 0

    async def run(self) -> None:
        while True:
            await self.tick()
            await asyncio.sleep(self._interval)

    async def tick(self) -> None:
        for job in self.jobs:
            try:
                await job(self._app)
            except (RedisError, OperationalError, InterfaceError, OSError, TimeoutError) as exc:
                # A dependency is down: one line per tick, not a traceback; retried next tick.
                log.warning(
                    "worker job skipped: a dependency is unavailable",
                    extra={"job": getattr(job, "__name__", "?"), "error": type(exc).__name__},
                )
            except Exception:
                log.exception("worker job failed", extra={"job": getattr(job, "__name__", "?")})
        self.ticks += 1
