"""``agentops up``: the whole product in one process on embedded defaults.

Control plane API, web console and worker on SQLite, the proxy, and in-process control state
instead of Redis, all on one event loop. It prints the console URL with a one-time sign-in link
and what an agent needs, and stops cleanly on Ctrl-C.
"""

from __future__ import annotations

import asyncio
import json
import secrets
from pathlib import Path
from typing import Any

import aiohttp
import click
from pydantic import SecretStr

from agentops.heap import settle_heap
from agentops.logs import configure_logging
from agentops.observability import init_sentry
from agentops.settings import Settings, load_settings
from cli._runtime import run, stop_signal

ADMIN_EMAIL = "admin@agentops.local"


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
    with a one-time link that signs that admin in.

    \b
    Examples:
      agentops up
      agentops up --port 9000 --proxy-port 9080
      AGENTOPS_HOME=/tmp/demo agentops up --upstream api.openai.com=http://127.0.0.1:9000
    """
    from cli.proxy_cmd import parse_upstream

    settings = load_settings()
    if port is not None:
        settings.control_plane.port = port
    if proxy_port is not None:
        settings.proxy.listen_port = proxy_port
    if reverse_port is not None:
        settings.proxy.reverse_port = reverse_port
    settings.proxy.upstream_overrides |= parse_upstream(upstream)
    configure_logging(settings.log_level, settings.log_format)
    init_sentry(settings, "all-in-one")
    run(serve_all(settings))


async def serve_all(settings: Settings) -> None:
    # Signals are caught from the start, so a Ctrl-C during start-up still stops cleanly.
    async with stop_signal() as stop:
        await _serve_until(settings, stop)
    click.echo("stopped")


async def _serve_until(settings: Settings, stop: asyncio.Event) -> None:
    from cli.migrate_cmd import reseal_secrets
    from control_plane import app_keys
    from control_plane.embedded_sink import EmbeddedSink
    from control_plane.server import ControlPlaneServer
    from control_plane.services.spend_rebuild import rebuild_all
    from control_plane.store.migrate import upgrade
    from proxy.ca import write_bundle
    from proxy.service import ProxyService

    # Embedded SQLite is ours to migrate; a shared database is migrated by `agentops migrate`.
    upgrade(settings.control_plane.database_url)
    await reseal_secrets(settings.control_plane.database_url, settings)  # rows from older versions
    control_plane = ControlPlaneServer(settings)
    await control_plane.start()
    try:
        admin = await _ensure_admin(settings, control_plane.url)
        sign_in_link = await _sign_in_link(control_plane.url, admin)
        # Records go in-process (the sink below); the URL and key serve the heartbeat only.
        settings.proxy.control_plane_url = control_plane.url
        settings.proxy.api_key = SecretStr(admin["proxy_key"])
        app = control_plane.app
        # In-process everything: records go straight to the ingest service, control state
        # comes from the control plane's in-memory bus instead of Redis.
        sink = EmbeddedSink(
            app[app_keys.DATABASE], settings.proxy.default_org, settings.control_plane.timezone
        )
        # The proxy reserves against the counters the control plane rebuilt from the store
        # at start, so a restart does not reset a hard budget. One process, one registry:
        # the control plane's /metrics serves the proxy's too.
        proxy = ProxyService(
            settings,
            sink=sink,
            state_bus=app[app_keys.STATE_BUS].memory,
            counters=app[app_keys.SPEND_COUNTERS],
            serve_metrics=False,
        )
        await proxy.ship_backlog()  # calls answered before the last stop, now stored
        # So the counters count them before any call is gated.
        await rebuild_all(app[app_keys.DATABASE], app[app_keys.SPEND_COUNTERS])
        await proxy.start()
        settle_heap()
        try:
            bundle = write_bundle(settings.proxy.ca_dir)
            _announce(settings, control_plane.url, proxy, bundle, admin, sign_in_link)
            await stop.wait()
            click.echo("stopping…")
        finally:
            await proxy.stop()
    finally:
        await control_plane.stop()


async def _ensure_admin(settings: Settings, url: str) -> dict[str, str]:
    """Create the default org's owner, and the embedded proxy's ingest key, on first start.

    Both credentials live in a 0600 file under the home; the key lets the proxy report its
    state version (``agentops status``) like a deployed sidecar does.
    """
    path = settings.home / "embedded-admin.json"
    if path.exists():
        # The port may differ from the last start: `agentops login` reads the URL from here.
        admin = dict(json.loads(path.read_text())) | {"api_url": url}
        _write_private(path, json.dumps(admin))
        return admin
    password = secrets.token_urlsafe(12)
    signup = {
        "email": ADMIN_EMAIL,
        "password": password,
        "org_name": "Default",
        "org_slug": settings.proxy.default_org,
    }
    async with aiohttp.ClientSession(base_url=url) as session:
        await _post(session, "/api/v1/auth/signup", signup, None)
        login = {"email": ADMIN_EMAIL, "password": password, "org": settings.proxy.default_org}
        tokens = await _post(session, "/api/v1/auth/login", login, None)
        key = await _post(
            session,
            "/api/v1/api-keys",
            {"name": "embedded-proxy", "scopes": ["ingest"]},
            str(tokens["access_token"]),
        )
    admin = {
        "email": ADMIN_EMAIL,
        "password": password,
        "org": settings.proxy.default_org,
        "proxy_key": str(key["key"]),
        "api_url": url,
    }
    _write_private(path, json.dumps(admin))
    return admin


async def _post(
    session: aiohttp.ClientSession, path: str, body: dict[str, Any], token: str | None
) -> dict[str, Any]:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    async with session.post(path, json=body, headers=headers) as response:
        if response.status not in (200, 201, 202):
            raise click.ClickException(
                f"could not set up the embedded org ({path}): "
                f"{response.status} {await response.text()}"
            )
        answer: dict[str, Any] = await response.json()
        return answer


async def _sign_in_link(url: str, admin: dict[str, str]) -> str:
    """A console link that signs the embedded admin in once: it carries a fresh refresh token,
    which the console exchanges on first use (a second use is refused)."""
    login = {"email": admin["email"], "password": admin["password"], "org": admin["org"]}
    async with (
        aiohttp.ClientSession(base_url=url) as session,
        session.post("/api/v1/auth/login", json=login) as response,
    ):
        if response.status != 200:
            raise click.ClickException(
                f"could not sign the embedded admin in: {response.status} {await response.text()}"
            )
        tokens = await response.json()
    return f"{url}/login/link?token={tokens['refresh_token']}"


def _write_private(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.touch(mode=0o600, exist_ok=True)
    path.chmod(0o600)
    path.write_text(text)


def _announce(
    settings: Settings,
    url: str,
    proxy: object,
    bundle: Path,
    admin: dict[str, str],
    sign_in_link: str,
) -> None:
    from agentops.agent_env import LOCAL_NO_PROXY, agent_env, merge_no_proxy, render
    from proxy.service import ProxyService

    assert isinstance(proxy, ProxyService)
    fhost, fport = proxy.forward_address
    proxy_url = f"http://{fhost}:{fport}"
    echo = click.echo
    echo("AgentOps Hub is running (all-in-one, embedded defaults)")
    echo(f"  web console     {url}/")
    echo(f"  sign in once    {sign_in_link}")
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
    echo(f"  admin login     agentops login   (as {admin['email']}; credentials in")
    echo(f"                  {settings.home / 'embedded-admin.json'}, mode 0600)")
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
