"""The background worker: a periodic loop over jobs, running inside the API process.

Its own jobs (partitions ahead) are listed in ``_default_jobs``; resources that own work (the
state bus, budgets) add theirs from their cleanup contexts. A job
gets the application, so it reaches the database and Redis through the same typed keys as
the handlers. A failing job is logged and retried next tick; it never stops the loop.

Several replicas (PostgreSQL): each job runs once per due time across all of them. Before a
run the worker claims the job's row in ``job_runs`` (``FOR UPDATE SKIP LOCKED``, held while
the job runs) and moves its due time on by the job's period (``Every``'s seconds, else the
tick's jobs: 0) when the run succeeds; a replica finding the row locked or not yet due skips
the job, and does not ask again before the due time it read.
Alert deliveries are also claimed row by row (``SKIP LOCKED``), so none is sent twice. SQLite
(embedded) is one process: no claims.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
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
    from control_plane.jobs.open_calls import close_open_calls_job

    return (
        Every(3600.0, ensure_partitions_job),
        Every(3600.0, retention_job),
        Every(60.0, close_open_calls_job),
    )


class Worker:
    def __init__(
        self, app: web.Application, interval: float, jobs: tuple[Job, ...] | None = None
    ) -> None:
        self._app = app
        self._interval = interval
        self.jobs = list(_default_jobs() if jobs is None else jobs)
        self.ticks = 0
        self._runner = f"{socket.gethostname()}:{os.getpid()}"
        self._known: set[str] = set()  # job rows this replica has created
        # Monotonic time before which a job is known not to be due (no claim query until then).
        self._not_before: dict[str, float] = {}

    async def run(self) -> None:
        while True:
            await self.tick()
            await asyncio.sleep(self._interval)

    async def tick(self) -> None:
        for job in self.jobs:
            try:
                await self._run(job)
            except (RedisError, OperationalError, InterfaceError, OSError, TimeoutError) as exc:
                # A dependency is down: one line per tick, not a traceback; retried next tick.
                log.warning(
                    "worker job skipped: a dependency is unavailable",
                    extra={"job": getattr(job, "__name__", "?"), "error": type(exc).__name__},
                )
            except Exception:
                log.exception("worker job failed", extra={"job": getattr(job, "__name__", "?")})
        self.ticks += 1

    async def _run(self, job: Job) -> None:
        from control_plane import app_keys  # keys imports this module
        from control_plane.store import job_runs

        database = self._app.get(app_keys.DATABASE)
        if database is None or not database.is_postgres:
            await job(self._app)
            return
        name = getattr(job, "__name__", "job")
        if time.monotonic() < self._not_before.get(name, 0.0):
            return
        # ``Every``'s period becomes the shared due time, and what it wraps runs; a job of
        # every tick (period 0) is only kept from running in two replicas at once.
        period: float = getattr(job, "seconds", 0.0)
        run: Job = getattr(job, "job", job)
        if name not in self._known:
            async with database.transaction() as session:
                await job_runs.ensure_job(session, name)
            self._known.add(name)
        async with database.transaction() as session:
            started, wait = await job_runs.claim_due(session, name)
            if started is None:  # another replica runs it now, or ran it for this due time
                self._not_before[name] = time.monotonic() + wait
                return
            await run(self._app)
            await job_runs.advance(session, name, started, period, self._runner)
        self._not_before[name] = time.monotonic() + period
