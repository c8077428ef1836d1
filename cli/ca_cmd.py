"""``agentops ca``: export the proxy CA bundle and print the environment that trusts it."""

from __future__ import annotations

from pathlib import Path

import click

from agentops.settings import load_settings


@click.group()
def ca() -> None:
    """The proxy's interception CA (created on first use, reused after).

    \b
    Example:
      agentops ca export --out ~/.agentops/ca-bundle.pem
    """


@ca.command("export")
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Where to write the bundle (default: <ca_dir>/agentops-ca-bundle.pem).",
)
def export(out: Path | None) -> None:
    """Write system roots + the proxy CA to one PEM bundle, for SSL_CERT_FILE.

    \b
    Examples:
      agentops ca export
      agentops ca export --out /ca/bundle.pem
    """
    from proxy.ca import write_bundle

    settings = load_settings()
    path = write_bundle(settings.proxy.ca_dir, out)
    click.echo(str(path))


@ca.command("env")
@click.option("--agent", default=None, help="Agent name to put in the proxy URL.")
@click.option("--key", default=None, help="Agent key to put in the proxy URL.")
def env(agent: str | None, key: str | None) -> None:
    """Print shell lines for Python, Node and Go agents to use the proxy and trust its CA.

    \b
    Examples:
      eval "$(agentops ca env --agent my-agent)"
      agentops ca env --agent my-agent --key aoh_xxx
    """
    from proxy._mitm import ca_cert_path
    from proxy.ca import env_lines, write_bundle

    settings = load_settings()
    p = settings.proxy
    bundle = write_bundle(p.ca_dir)
    credentials = f"{agent}:{key}@" if agent and key else (f"{agent}@" if agent else "")
    host = "127.0.0.1" if p.listen_host in ("0.0.0.0", "::", "") else p.listen_host
    proxy_url = f"http://{credentials}{host}:{p.listen_port}"
    for line in env_lines(bundle, ca_cert_path(p.ca_dir), proxy_url, "localhost,127.0.0.1,::1"):
        click.echo(line)
