"""``agentops injector``: the Kubernetes mutating admission webhook, over TLS."""

from __future__ import annotations

import click

from agentops.injector.pod_parts import InjectorConfig
from agentops.logs import configure_logging
from agentops.settings import load_settings
from cli._runtime import run, stop_signal
from cli.proxy_cmd import parse_listen


@click.command("injector")
@click.option("--listen", default="0.0.0.0:8443", show_default=True, metavar="HOST:PORT")
@click.option("--tls-cert", required=True, type=click.Path(exists=True, dir_okay=False))
@click.option("--tls-key", required=True, type=click.Path(exists=True, dir_okay=False))
@click.option("--image", required=True, help="The AgentOps Hub image of the injected sidecar.")
@click.option(
    "--capture",
    type=click.Choice(["proxy", "transparent"]),
    default="proxy",
    show_default=True,
    help="Default mode; a pod's agentops.dev/capture annotation overrides it.",
)
@click.option("--proxy-secret", default="agentops-proxy", show_default=True)
@click.option("--ca-secret", default="agentops-proxy-ca", show_default=True)
@click.option("--default-org", default="default", show_default=True)
@click.option("--proxy-uid", type=int, default=1337, show_default=True)
def injector(
    listen: str,
    tls_cert: str,
    tls_key: str,
    image: str,
    capture: str,
    proxy_secret: str,
    ca_secret: str,
    default_org: str,
    proxy_uid: int,
) -> None:
    """Inject the proxy sidecar into pods labelled agentops.dev/agent=<name>.

    Serves POST /mutate (AdmissionReview v1) and GET /healthz over TLS; the chart's
    MutatingWebhookConfiguration points at it.

    \b
    Example:
      agentops injector --tls-cert /tls/tls.crt --tls-key /tls/tls.key \\
        --image registry.example.com/agentops/agentops-hub:0.1.0
    """
    config = InjectorConfig(
        image=image,
        default_capture="transparent" if capture == "transparent" else "proxy",
        proxy_secret=proxy_secret,
        ca_secret=ca_secret,
        default_org=default_org,
        proxy_uid=proxy_uid,
    )
    settings = load_settings()
    configure_logging(settings.log_level, settings.log_format)
    host, port = parse_listen(listen)
    run(serve(config, host, port, tls_cert, tls_key))


async def serve(config: InjectorConfig, host: str, port: int, cert: str, key: str) -> None:
    from aiohttp import web

    from agentops.injector.server import build_app, tls_context

    runner = web.AppRunner(build_app(config), handle_signals=False, access_log=None)
    async with stop_signal() as stop:
        await runner.setup()
        try:
            await web.TCPSite(runner, host, port, ssl_context=tls_context(cert, key)).start()
            click.echo(f"injector listening on https://{host}:{port}/mutate")
            await stop.wait()
        finally:
            await runner.cleanup()
