"""``agentops config``: inspect the effective settings and their reference."""

from __future__ import annotations

from typing import Any

import click

from agentops.settings import load_settings
from agentops.settings_doc import render
from cli import _output


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
@_output.json_output_option
def show(output: str) -> None:
    """Print the effective settings (secrets masked): JSON, or one `name value` line each
    with -o table.

    \b
    Examples:
      AGENTOPS_PROXY__LISTEN_PORT=9090 agentops config show
      agentops config show -o table
    """
    settings = load_settings().model_dump(mode="json")
    if output == "json":
        _output.echo_json(settings)
        return
    rows = [{"setting": name, "value": value} for name, value in _flat(settings)]
    _output.render(rows, output)


def _flat(data: dict[str, Any], prefix: str = "") -> list[tuple[str, Any]]:
    pairs: list[tuple[str, Any]] = []
    for name, value in data.items():
        if isinstance(value, dict) and value:
            pairs += _flat(value, f"{prefix}{name}.")
        else:
            pairs.append((f"{prefix}{name}", value))
    return pairs


@config.command()
def docs() -> None:
    """Print the configuration reference in Markdown (the source of docs/configuration.md).

    \b
    Example:
      agentops config docs > docs/configuration.md
    """
    click.echo(render(), nl=False)
