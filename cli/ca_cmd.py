"""``agentops ca``: export the proxy CA bundle and print the environment that trusts it."""

from __future__ import annotations

from pathlib import Path

import click

from agentops.agent_env import NODE_DIR, NODE_PRELOAD, SHELLS, Shell, render
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
@click.option(
    "--node-preload",
    is_flag=True,
    help="Also copy the Node preload (and its vendored undici) to node/ beside the bundle, "
    "for NODE_OPTIONS=--import <dir>/node/preload.mjs in another container.",
)
def export(out: Path | None, node_preload: bool) -> None:
    """Write OS roots + certifi + the proxy CA to one PEM bundle, for SSL_CERT_FILE.

    \b
    Examples:
      agentops ca export
      agentops ca export --out /ca/bundle.pem --node-preload
    """
    from proxy.ca import write_bundle

    settings = load_settings()
    path = write_bundle(settings.proxy.ca_dir, out)
    click.echo(str(path))
    if node_preload:
        target = path.parent / "node"
        target.mkdir(exist_ok=True)
        for source in NODE_DIR.iterdir():
            if source.is_file():
                (target / source.name).write_bytes(source.read_bytes())
        click.echo(str(target / NODE_PRELOAD.name))


@ca.command("env")
@click.option("--agent", default=None, help="Agent name to put in the proxy URL.")
@click.option("--key", default=None, help="Agent key to put in the proxy URL.")
@click.option("--run", "run_id", default=None, help="Run id to put in the proxy URL.")
@click.option(
    "--shell",
    type=click.Choice(SHELLS),
    default="bash",
    show_default=True,
    help="Syntax of the lines (dotenv: a .env file / docker --env-file).",
)
def env(agent: str | None, key: str | None, run_id: str | None, shell: Shell) -> None:
    """Print the variables that make every runtime use the running proxy and trust its CA.

    The same set `agentops run` gives a command: proxy URL with credentials, the CA bundle for
    Python, curl, AWS SDKs and Go, and the Node variables with the preload that makes Node
    before 24 honour HTTPS_PROXY. Ports are those of the `agentops up`/`agentops proxy` running
    on this AGENTOPS_HOME.

    \b
    Examples:
      eval "$(agentops ca env --agent my-agent)"
      agentops ca env --agent my-agent --shell fish | source
      agentops ca env --agent my-agent --shell powershell | Invoke-Expression
      agentops ca env --agent my-agent --key aoh_xxx --shell dotenv > agent.env
    """
    from cli._agent_env import environment_for

    for line in render(environment_for(load_settings(), agent, key, run_id), shell):
        click.echo(line)
