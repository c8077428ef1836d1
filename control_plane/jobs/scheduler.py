"""The one scheduler: a periodic loop over the registered jobs, running inside the API process.

Every job is a ``Job`` row in ``control_plane.app.JOBS``: a name, a period (``every`` seconds;
0 runs it each tick) and an async function of the ``JobContext``. A failing job is logged and
retried next tick; it never stops the loop.

Several replicas (PostgreSQL): each job runs once per due time across all of them. Before a
run the scheduler claims the job's row in ``job_runs`` (``FOR UPDATE SKIP LOCKED``, held while
the job runs) and moves its due time on by the job's period when the run succeeds; a replica
finding the row locked or not yet due skips the job, and does not ask again before the due
time it read. Alert deliveries are also claimed row by row (``SKIP LOCKED``), so none is sent
twice. SQLite (embedded) is one process: no claims, the period is kept in memory.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

from redis.exceptions import RedisError

from control_plane.jobs.context import JobContext
from control_plane.store import job_runs
from control_plane.store.errors import InterfaceError, OperationalError

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Job:
    name: str  # its row in ``job_runs``: keep it when the function is renamed
    run: Callable[[JobContext], Awaitable[None]]
    every: float = 0.0  # seconds between runs; 0: every tick


class Scheduler:
    def __init__(self, context: JobContext, jobs: Sequence[Job], interval: float) -> None:
        self._context = context
        self._interval = interval
        self.jobs = tuple(jobs)
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
                    extra={"job": job.name, "error": type(exc).__name__},
                )
            except Exception:
                log.exception("worker job failed", extra={"job": job.name})
        self.ticks += 1

    async def _run(self, job: Job) -> None:
        if time.monotonic() < self._not_before.get(job.name, 0.0):
            return
        database = self._context.database
        if not database.is_postgres:
            self._not_before[job.name] = time.monotonic() + job.every
            await job.run(self._context)
            return
        if job.name not in self._known:
            async with database.transaction() as session:
                await job_runs.ensure_job(session, job.name)
            self._known.add(job.name)
        async with database.transaction() as session:
            started, wait = await job_runs.claim_due(session, job.name)
            if started is None:  # another replica runs it now, or ran it for this due time
                self._not_before[job.name] = time.monotonic() + wait
                return
            await job.run(self._context)
            await job_runs.advance(session, job.name, started, job.every, self._runner)
        self._not_before[job.name] = time.monotonic() + job.every
