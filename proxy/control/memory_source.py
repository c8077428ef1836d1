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
from proxy.control.key_verifier import StateKeyVerifier


class MemoryStateSource:
    def __init__(
        self,
        bus: MemoryStateBus,
        holder: ControlStateHolder,
        *,
        resync_seconds: float,
        verifier: StateKeyVerifier | None = None,
    ) -> None:
        self._bus = bus
        self._holder = holder
        self._verifier = verifier  # fed the key directory too, when given
        self._resync_seconds = resync_seconds
        self._tasks = TaskSet("memory-state-source")
        self._unsubscribe: list[Callable[[], None]] = []

    async def start(self) -> None:
        self._unsubscribe.append(self._bus.subscribe(self._on_announcement))
        if self._verifier is not None:
            self._unsubscribe.append(self._bus.subscribe_keys(self._on_keys))
        await self._resync()
        self._tasks.spawn(self._resync_forever(), name="memory-state-resync")

    async def close(self) -> None:
        while self._unsubscribe:
            self._unsubscribe.pop()()
        await self._tasks.close()

    def _on_keys(self) -> None:
        if self._verifier is not None:
            self._verifier.replace(*self._bus.read_key_directory())

    async def _resync(self) -> None:
        keys = None if self._verifier is None else (self._bus, self._verifier)
        await sync.resync(self._bus, self._holder, keys)

    def _on_announcement(self, news: Announcement) -> None:
        if news.version > self._holder.version(news.org):
            raw = self._bus.read_raw(news.org)
            if raw is not None:
                self._holder.apply_raw(news.org, raw)

    async def _resync_forever(self) -> None:
        while True:
            await asyncio.sleep(self._resync_seconds)
            await self._resync()
