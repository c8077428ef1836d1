"""The control plane as an embeddable service: ``agentops up`` and ``agentops serve`` run it
on their own event loop (AppRunner + TCPSite), beside the proxy when embedded."""

from __future__ import annotations

from aiohttp import web

from agentops.settings import Settings
from control_plane.app import create_app


class ControlPlaneServer:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.app = create_app(settings)
        self._runner: web.AppRunner | None = None
        self._port: int | None = None

    async def start(self) -> None:
        """Open resources (refusing an unmigrated database) and start listening."""
        cp = self.settings.control_plane
        runner = web.AppRunner(self.app, access_log=None)
        await runner.setup()
        try:
            site = web.TCPSite(runner, cp.host, cp.port)
            await site.start()
        except BaseException:
            await runner.cleanup()
            raise
        self._runner = runner
        self._port = int(runner.addresses[0][1])

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    @property
    def url(self) -> str:
        """Base URL, with the real port when settings asked for port 0."""
        if self._port is None:
            raise RuntimeError("the control plane is not started")
        host = self.settings.control_plane.host
        host = "127.0.0.1" if host in ("0.0.0.0", "") else host
        return f"http://{host}:{self._port}"
