"""Feeds a holder from the in-process ``MemoryStateBus`` (embedded mode).

A publish is applied before ``publish`` returns (the bus calls us synchronously), so a kill
issued through the embedded API is in force when the API answers. The periodic resync keeps the
state's age meaningful and heals anything a failing listener missed.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from agentops.statebus import Announcement, MemoryStateBus
from agentops.tasks import TaskSet
from proxy.control import sync
from proxy.control.holder import ControlStateHolder


class MemoryStateSource:
    def __init__(
        self, bus: MemoryStateBus, holder: ControlStateHolder, *, resync_seconds: float
    ) -> None:
        self._bus = bus
        self._holder = holder
        self._resync_seconds = resync_seconds
        self._tasks = TaskSet("memory-state-source")
        self._unsubscribe: Callable[[], None] | None = None

    async def start(self) -> None:
        self._unsubscribe = self._bus.subscribe(self._on_announcement)
        await sync.resync(self._bus, self._holder)
        self._tasks.spawn(self._resync_forever(), name="memory-state-resync")

    async def close(self) -> None:
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None
        await self._tasks.close()

    def _on_announcement(self, news: Announcement) -> None:
        if news.version > self._holder.version(news.org):
            raw = self._bus.read_raw(news.org)
            if raw is not None:
                self._holder.apply_raw(news.org, raw)

    async def _resync_forever(self) -> None:
        while True:
            await asyncio.sleep(self._resync_seconds)
            await sync.resync(self._bus, self._holder)
