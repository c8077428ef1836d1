"""`agentops serve`: run the control plane API (and its worker) until interrupted."""

from __future__ import annotations

import asyncio
import contextlib
import signal

import click

from agentops.logs import configure_logging
from agentops.observability import init_sentry
from agentops.settings import load_settings
from control_plane.service import ControlPlaneService


@click.command()
@click.option("--host", default=None, help="Listen address (default: control_plane.host).")
@click.option("--port", type=int, default=None, help="Listen port (default: control_plane.port).")
@click.option("--no-worker", is_flag=True, help="Do not run the background worker in this process.")
def serve(host: str | None, port: int | None, no_worker: bool) -> None:
    """Run the control plane API and worker. Run `agentops migrate` first on PostgreSQL.

    \b
    Examples:
      agentops serve
      AGENTOPS_CONTROL_PLANE__DATABASE_URL=postgresql+psycopg://… agentops serve --port 8000
    """
    settings = load_settings()
    cp = settings.control_plane
    cp.host = host or cp.host
    cp.port = cp.port if port is None else port
    cp.run_worker = cp.run_worker and not no_worker
    configure_logging(settings.log_level, settings.log_format)
    init_sentry(settings, "control-plane")
    asyncio.run(_serve(ControlPlaneService(settings)))


async def _serve(service: ControlPlaneService) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop.set)
    await service.start()
    click.echo(f"control plane listening on {service.url}")
    try:
        await stop.wait()
    finally:
        await service.stop()
