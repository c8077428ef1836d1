"""`agentops serve`: run the control plane API (and its worker) until interrupted."""

from __future__ import annotations

import click

from agentops.heap import INGEST_YOUNG_THRESHOLD, settle_heap
from agentops.logs import configure_logging
from agentops.observability import init_sentry
from agentops.settings import load_settings
from cli._runtime import run, stop_signal
from control_plane.server import ControlPlaneServer


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
    run(_serve(ControlPlaneServer(settings)))


async def _serve(service: ControlPlaneServer) -> None:
    async with stop_signal() as stop:
        await service.start()
        settle_heap(INGEST_YOUNG_THRESHOLD)  # ingest batches: throughput first
        click.echo(f"control plane listening on {service.url}")
        click.echo(f"web console at {service.url}/   (API reference: {service.url}/api/v1/docs)")
        try:
            await stop.wait()
        finally:
            await service.stop()
