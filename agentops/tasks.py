"""A task set that keeps a reference to every background task it spawns.

asyncio only keeps weak references to tasks: a dropped reference can be garbage-collected
mid-flight. Every long-lived or fire-and-forget task in the product goes through one of these,
and the owner cancels and awaits them all in one place on shutdown.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine
from typing import Any

log = logging.getLogger(__name__)


class TaskSet:
    def __init__(self, name: str) -> None:
        self.name = name
        self._tasks: set[asyncio.Task[Any]] = set()

    def spawn(
        self, coro: Coroutine[Any, Any, Any], *, name: str | None = None
    ) -> asyncio.Task[Any]:
        task = asyncio.get_running_loop().create_task(coro, name=name)
        self._tasks.add(task)
        task.add_done_callback(self._done)
        return task

    def _done(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error(
                "background task failed",
                extra={"task": task.get_name(), "taskset": self.name},
                exc_info=task.exception(),
            )

    def __len__(self) -> int:
        return len(self._tasks)

    async def drain(self, grace_seconds: float | None) -> None:
        """Let the tasks finish on their own for up to ``grace_seconds``, then ``close``.

        For tasks that are already ending or cleaning up, which a cancel would cut short."""
        if self._tasks:
            await asyncio.wait(list(self._tasks), timeout=grace_seconds)
        await self.close()

    async def close(self) -> None:
        """Cancel every task and wait for them to finish."""
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.gather(*tasks, return_exceptions=True)
        self._tasks.clear()
