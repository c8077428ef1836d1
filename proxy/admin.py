"""The proxy's own tiny HTTP server: ``/healthz``, ``/readyz``, ``/metrics``, on the same loop.

Embedded in ``agentops up`` the process has one Prometheus registry, already served by the
control plane's ``/metrics``: the admin server then leaves ``/metrics`` out, so a scraper of
both ports does not ingest every series twice.
"""

from __future__ import annotations

from collections.abc import Callable

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, generate_latest

Details = Callable[[], dict[str, object]]

READY: web.AppKey[Callable[[], bool]] = web.AppKey("ready")
DETAILS: web.AppKey[Details] = web.AppKey("details")


async def healthz(request: web.Request) -> web.Response:
    return web.json_response({"status": "ok"})


async def readyz(request: web.Request) -> web.Response:
    """503 while the proxy refuses calls: no control state yet, stale state under
    ``refuse_all``, a refusing spool. The body names the control state's health and age."""
    details = request.app[DETAILS]()
    if request.app[READY]():
        return web.json_response({"status": "ready", **details})
    return web.json_response({"status": "not ready", **details}, status=503)


async def metrics(request: web.Request) -> web.Response:
    body = generate_latest(REGISTRY)
    return web.Response(body=body, headers={"content-type": CONTENT_TYPE_LATEST})


def build_admin_app(
    ready: Callable[[], bool], details: Details | None = None, *, serve_metrics: bool = True
) -> web.Application:
    app = web.Application()
    app[READY] = ready
    app[DETAILS] = details or dict
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/readyz", readyz)
    if serve_metrics:
        app.router.add_get("/metrics", metrics)
    return app


class AdminServer:
    def __init__(
        self,
        host: str,
        port: int,
        ready: Callable[[], bool],
        details: Details | None = None,
        *,
        serve_metrics: bool = True,
    ) -> None:
        self._host, self._port = host, port
        app = build_admin_app(ready, details, serve_metrics=serve_metrics)
        self._runner = web.AppRunner(app, handle_signals=False, access_log=None)
        self.address: tuple[str, int] | None = None

    async def start(self) -> None:
        await self._runner.setup()
        site = web.TCPSite(self._runner, self._host, self._port)
        await site.start()
        host, port, *_ = self._runner.addresses[0]
        self.address = (str(host), int(port))

    async def stop(self) -> None:
        await self._runner.cleanup()
