"""``agentops proxy``: run the proxy standalone until SIGINT or SIGTERM."""

from __future__ import annotations

from typing import Any

import click

from agentops.heap import PROXY_MALLOC_ARENAS, limit_malloc_arenas, settle_heap
from agentops.logs import configure_logging
from agentops.settings import Settings, load_settings
from cli._runtime import run, stop_signal


def parse_listen(value: str) -> tuple[str, int]:
    host, sep, port = value.rpartition(":")
    if not sep or not port.isdigit():
        raise click.BadParameter(f"expected HOST:PORT, got {value!r}")
    return host.strip("[]") or "127.0.0.1", int(port)


def parse_upstream(values: tuple[str, ...]) -> dict[str, str]:
    overrides: dict[str, str] = {}
    for value in values:
        host, sep, url = value.partition("=")
        if not sep or not host or not url.startswith(("http://", "https://")):
            raise click.BadParameter(f"expected HOST=http(s)://..., got {value!r}")
        overrides[host.strip().lower()] = url.strip()
    return overrides


@click.command("proxy")
@click.option(
    "--listen",
    default=None,
    metavar="HOST:PORT",
    help="Address of the forward proxy (HTTPS_PROXY). Default from settings.",
)
@click.option(
    "--reverse-port",
    type=int,
    default=None,
    help="Port of the reverse endpoints (base_url mode); 0 disables them.",
)
@click.option(
    "--upstream",
    multiple=True,
    metavar="HOST=URL",
    help="Send a provider host elsewhere, e.g. api.openai.com=http://127.0.0.1:9000. Repeatable.",
)
def proxy(listen: str | None, reverse_port: int | None, upstream: tuple[str, ...]) -> None:
    """Run the proxy: intercept and meter LLM calls, tunnel everything else untouched.

    \b
    Examples:
      agentops proxy
      agentops proxy --listen 0.0.0.0:8080 --reverse-port 8081
      agentops proxy --upstream api.openai.com=http://127.0.0.1:9000
    """
    settings = load_settings()
    p = settings.proxy
    if listen is not None:
        p.listen_host, p.listen_port = parse_listen(listen)
    if reverse_port is not None:
        p.reverse_port = reverse_port
    p.upstream_overrides = {**p.upstream_overrides, **parse_upstream(upstream)}
    configure_logging(settings.log_level, settings.log_format)
    run(serve(settings))


async def serve(settings: Settings) -> None:
    from proxy.service import ProxyService

    limit_malloc_arenas(PROXY_MALLOC_ARENAS)
    service = ProxyService(settings)
    # Signals are caught before "ready" is printed, so a prompt SIGTERM still stops cleanly.
    async with stop_signal() as stop:
        await service.start()
        settle_heap()
        try:
            _announce(service)
            await stop.wait()
        finally:
            await service.stop()
    click.echo("proxy stopped")


def _announce(service: Any) -> None:
    host, port = service.forward_address
    click.echo(f"forward proxy   http://{host}:{port}   (HTTPS_PROXY)")
    if service.reverse_address:
        rhost, rport = service.reverse_address
        click.echo(f"reverse proxy   http://{rhost}:{rport}/openai/v1   (base_url)")
    if service.transparent_address:
        thost, tport = service.transparent_address
        click.echo(
            f"transparent     {thost}:{tport}   (agentops capture init --proxy-port {tport})"
        )
    if service.admin_address:
        ahost, aport = service.admin_address
        click.echo(f"admin           http://{ahost}:{aport}/metrics")
    click.echo(f"CA certificate  {service.ca_cert_path}   (agentops ca export)")
    if not service.shipping:
        click.echo(f"no control plane configured: records stay in {service.spool.directory}")
    click.echo("ready", nl=True)
