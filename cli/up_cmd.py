"""``agentops up``: the whole product in one process on embedded defaults.

The stack itself (control plane API, web console and worker on SQLite, the proxy, in-process
control state instead of Redis, all on one event loop) is ``control_plane/embedded.py``; this
command builds it from the settings and its options, prints the console URL with a one-time
sign-in link and what an agent needs, and stops it cleanly on Ctrl-C. Logs go to
``<home>/logs/agentops.log``; the terminal shows warnings and errors only, under the banner.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import TYPE_CHECKING

import click

from agentops.logs import configure_logging
from agentops.observability import init_sentry
from agentops.settings import Settings, load_settings
from cli._runtime import run, stop_signal

if TYPE_CHECKING:
    from control_plane.embedded import EmbeddedStack
    from proxy.service import ProxyService

LOG_FILE = Path("logs") / "agentops.log"


@click.command("up")
@click.option(
    "--port", type=int, default=None, help="Control plane port (default from settings, 8000)."
)
@click.option("--proxy-port", type=int, default=None, help="Forward proxy port (default 8080).")
@click.option(
    "--reverse-port", type=int, default=None, help="Reverse endpoint port (default 8081)."
)
@click.option(
    "--upstream",
    multiple=True,
    metavar="HOST=URL",
    help="Send a provider host elsewhere, e.g. api.openai.com=http://127.0.0.1:9000. Repeatable.",
)
def up(
    port: int | None, proxy_port: int | None, reverse_port: int | None, upstream: tuple[str, ...]
) -> None:
    """Run everything here: control plane, web console, worker and proxy, embedded defaults.

    The store is SQLite under AGENTOPS_HOME (~/.agentops), control state is in-process, and an
    admin account for the default org is created on first start. The console URL is printed
    with a one-time link that signs that admin in. Logs are written to
    AGENTOPS_HOME/logs/agentops.log; the terminal shows warnings and errors only.

    \b
    Examples:
      agentops up
      agentops up --port 9000 --proxy-port 9080
      AGENTOPS_HOME=/tmp/demo agentops up --upstream api.openai.com=http://127.0.0.1:9000
    """
    settings = with_options(load_settings(), port, proxy_port, reverse_port, upstream)
    log_file = settings.home / LOG_FILE
    configure_logging(
        settings.log_level, settings.log_format, log_file=log_file, console_level="WARNING"
    )
    init_sentry(settings, "all-in-one")
    run(serve_all(settings, log_file))


def with_options(
    settings: Settings,
    port: int | None,
    proxy_port: int | None,
    reverse_port: int | None,
    upstream: tuple[str, ...],
) -> Settings:
    """The settings with the command's options applied (a copy; settings are never mutated)."""
    from cli.proxy_cmd import parse_upstream

    cp: dict[str, object] = {} if port is None else {"port": port}
    proxy: dict[str, object] = {
        "upstream_overrides": settings.proxy.upstream_overrides | parse_upstream(upstream)
    }
    if proxy_port is not None:
        proxy["listen_port"] = proxy_port
    if reverse_port is not None:
        proxy["reverse_port"] = reverse_port
    return settings.model_copy(
        update={
            "control_plane": settings.control_plane.model_copy(update=cp),
            "proxy": settings.proxy.model_copy(update=proxy),
        }
    )


async def serve_all(settings: Settings, log_file: Path) -> None:
    # Signals are caught from the start, so a Ctrl-C during start-up still stops cleanly.
    async with stop_signal() as stop:
        await _serve_until(settings, log_file, stop)
    click.echo("stopped")


async def _serve_until(settings: Settings, log_file: Path, stop: asyncio.Event) -> None:
    from control_plane.embedded import EmbeddedStack, EmbeddedStartError, ProxyWiring
    from proxy.ca import write_bundle
    from proxy.service import ProxyService

    def embedded_proxy(wiring: ProxyWiring) -> ProxyService:
        # One process, one registry: the control plane's /metrics serves the proxy's too.
        return ProxyService(
            wiring.settings,
            sink=wiring.sink,
            state_bus=wiring.state_bus,
            counters=wiring.counters,
            serve_metrics=False,
        )

    stack = EmbeddedStack(settings, embedded_proxy)
    try:
        await stack.start()
    except EmbeddedStartError as exc:
        raise click.ClickException(str(exc)) from None
    try:
        bundle = write_bundle(stack.settings.proxy.ca_dir)
        _announce(stack, bundle, log_file)
        await stop.wait()
        click.echo("stopping…")
    finally:
        await stack.stop()


def _announce(stack: EmbeddedStack[ProxyService], bundle: Path, log_file: Path) -> None:
    from agentops.agent_env import LOCAL_NO_PROXY, agent_env, merge_no_proxy, render

    proxy = stack.proxy
    url, settings = stack.url, stack.settings
    fhost, fport = proxy.forward_address
    proxy_url = f"http://{fhost}:{fport}"
    echo = click.echo
    echo("AgentOps Hub is running (all-in-one, embedded defaults)")
    echo(f"  web console     {url}/")
    echo(f"  sign in once    {stack.sign_in_link}")
    echo(
        f"  control plane   {url}/api/v1   (OpenAPI: {url}/api/v1/openapi.json, docs: {url}/api/v1/docs)"
    )
    echo(f"  health          {url}/healthz  {url}/readyz  {url}/metrics")
    echo(f"  forward proxy   {proxy_url}   (HTTPS_PROXY)")
    if proxy.reverse_address:
        rhost, rport = proxy.reverse_address
        echo(f"  reverse proxy   http://{rhost}:{rport}/openai/v1   (base_url, no CA needed)")
    echo(f"  CA certificate  {proxy.ca_cert_path}")
    echo(f"  CA bundle       {bundle}   (system roots + our CA)")
    echo(f"  store           {settings.control_plane.database_url}")
    echo(f"  logs            {log_file}   (here: warnings and errors only)")
    echo(f"  admin login     agentops login   (as {stack.admin.email}; credentials in")
    echo(f"                  {stack.admin_file}, mode 0600)")
    echo("")
    echo("Point an agent at the proxy (any runtime: Python, Node, curl, AWS SDKs, Go):")
    echo("  agentops run --agent my-agent -- python agent.py")
    echo('  eval "$(agentops ca env --agent my-agent)"   # or --shell fish|powershell|dotenv')
    echo("or set these yourself:")
    env = agent_env(proxy_url, bundle, merge_no_proxy(",".join(LOCAL_NO_PROXY)))
    for line in render(env, "bash")[1:]:
        echo(f"  {line}")
    echo("")
    echo("Press Ctrl-C to stop.")
