"""``agentops config``: inspect the effective settings and their reference."""

from __future__ import annotations

import click

from agentops.settings import load_settings
from agentops.settings_doc import render


@click.group()
def config() -> None:
    """Inspect configuration.

    \b
    Examples:
      agentops config show
      agentops config docs > docs/configuration.md
      agentops config new-secrets-key
    """


@config.command("new-secrets-key")
def new_secrets_key() -> None:
    """Print a new key for control_plane.secrets_key (alert channel secrets at rest).

    To rotate: move the current key to control_plane.secrets_previous_keys, set the new one,
    restart, run `agentops migrate` (reseals every channel), then drop the previous key.

    \b
    Example:
      export AGENTOPS_CONTROL_PLANE__SECRETS_KEY=$(agentops config new-secrets-key)
    """
    from control_plane.secretbox import new_key

    click.echo(new_key())


@config.command()
def show() -> None:
    """Print the effective settings as JSON (secrets masked).

    \b
    Example:
      AGENTOPS_PROXY__LISTEN_PORT=9090 agentops config show
    """
    click.echo(load_settings().model_dump_json(indent=2))


@config.command()
def docs() -> None:
    """Print the configuration reference in Markdown (the source of docs/configuration.md).

    \b
    Example:
      agentops config docs > docs/configuration.md
    """
    click.echo(render(), nl=False)
