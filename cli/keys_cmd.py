"""`agentops keys …`: API keys."""

from __future__ import annotations

import click

from cli._commands import delete_command
from cli._connection import Connection, connection_options
from cli._output import output_option, render, render_page
from cli._resolve import AGENT, KEY, resolve

COLUMNS = ("id", "name", "prefix", "scopes", "agent_id", "last_used_at", "expires_at", "revoked_at")


@click.group()
def keys() -> None:
    """Create, list and revoke API keys.

    \b
    Examples:
      agentops keys create ci --scope read
      agentops keys revoke ci
    """


@keys.command("create")
@click.argument("name")
@click.option(
    "--scope",
    "scopes",
    multiple=True,
    type=click.Choice(["ingest", "read", "admin"]),
    required=True,
    help="Scope (repeatable).",
)
@click.option(
    "--agent", "--agent-id", "agent", default=None, metavar="NAME|ID",
    help="Bind the key to one agent (its name or id).",
)  # fmt: skip
@click.option(
    "--expires-at", default=None, help="ISO 8601 time with offset when the key stops working."
)
@connection_options
@output_option
def create_key(
    name: str,
    scopes: tuple[str, ...],
    agent: str | None,
    expires_at: str | None,
    api: Connection,
    output: str,
) -> None:
    """Create an API key. The key is printed once: store it now.

    \b
    Example:
      agentops keys create proxy --scope ingest --agent refund-bot
    """
    client = api.client()
    agent_id = None if agent is None else resolve(client, AGENT, agent)
    body = {"name": name, "scopes": list(scopes), "agent_id": agent_id, "expires_at": expires_at}
    render(
        client.request("POST", "/api-keys", body),
        output,
        ("id", "name", "key", "scopes"),
    )


@keys.command("list")
@click.option("--include-revoked", is_flag=True, help="Also list revoked keys.")
@connection_options
@output_option
def list_keys(include_revoked: bool, api: Connection, output: str) -> None:
    """List API keys (prefixes only; keys are never shown again).

    \b
    Example:
      agentops keys list --include-revoked
    """
    page = api.request("GET", "/api-keys", query={"include_revoked": str(include_revoked).lower()})
    render_page(page, output, COLUMNS)


revoke_key = delete_command(
    keys,
    KEY,
    "Revoke an API key, by name or id (effective on its next request).",
    "agentops keys revoke ci",
    verb="revoke",
    done="revoked",
)
