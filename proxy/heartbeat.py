"""The proxy's heartbeat: tell the control plane which control-state version it holds per org.

``agentops status`` compares these with each org's current version, so an admin sees a proxy
that has not applied a kill. A beat goes out every ``heartbeat_seconds``, and at once after each
applied snapshot so that status converges as fast as the state does. A failed beat is logged
and retried next period; it never touches the hot path.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from typing import Any

import aiohttp
from pydantic import SecretStr

from agentops.tasks import TaskSet
from proxy.control.holder import ControlStateHolder

log = logging.getLogger(__name__)

HEARTBEAT_PATH = "/api/v1/proxies/heartbeat"


def heartbeat_body(
    proxy_id: str, holder: ControlStateHolder, max_age_seconds: float | None = None
) -> dict[str, Any]:
    """Versions held, and how old the state is: a proxy cut off from Redis still beats over
    HTTP, so the control plane can name it stale."""
    age = holder.age_seconds()
    return {
        "proxy_id": proxy_id,
        "versions": {org: holder.version(org) for org in holder.orgs()},
        "state_age_seconds": None if age is None else round(age, 3),
        "state_max_age_seconds": max_age_seconds,
    }


class Heartbeat:
    def __init__(
        self,
        holder: ControlStateHolder,
        *,
        base_url: str,
        api_key: SecretStr | None,
        proxy_id: str,
        interval_seconds: float,
        timeout_seconds: float = 5.0,
        max_age_seconds: float | None = None,
    ) -> None:
        self._max_age = max_age_seconds
        self._holder = holder
        self._url = base_url.rstrip("/") + HEARTBEAT_PATH
        self._api_key = api_key
        self.proxy_id = proxy_id
        self._interval = interval_seconds
        self._timeout = aiohttp.ClientTimeout(total=timeout_seconds)
        self._tasks = TaskSet("heartbeat")
        self._wake = asyncio.Event()
        self._session: aiohttp.ClientSession | None = None
        self._unsubscribe: Callable[[], None] | None = None
        self.sent = 0

    async def start(self) -> None:
        headers = {"user-agent": "agentops-proxy"}
        if self._api_key is not None:
            headers["authorization"] = f"Bearer {self._api_key.get_secret_value()}"
        self._session = aiohttp.ClientSession(timeout=self._timeout, headers=headers)
        self._unsubscribe = self._holder.add_listener(lambda _snapshot: self._wake.set())
        self._tasks.spawn(self._run(self._session), name="heartbeat")

    async def close(self) -> None:
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None
        await self._tasks.close()
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def _run(self, session: aiohttp.ClientSession) -> None:
        while True:
            self._wake.clear()
            await self._beat(session)
            with contextlib.suppress(TimeoutError):  # the period ended without news
                await asyncio.wait_for(self._wake.wait(), self._interval)

    async def _beat(self, session: aiohttp.ClientSession) -> None:
        try:
            body = heartbeat_body(self.proxy_id, self._holder, self._max_age)
            async with session.post(self._url, json=body) as response:
                if response.status >= 300:
                    log.warning(
                        "heartbeat refused by the control plane",
                        extra={"status": response.status, "proxy_id": self.proxy_id},
                    )
                    return
            self.sent += 1
        except (aiohttp.ClientError, TimeoutError) as exc:
            log.warning(
                "heartbeat failed; retrying next period",
                extra={"error": type(exc).__name__, "proxy_id": self.proxy_id},
            )
