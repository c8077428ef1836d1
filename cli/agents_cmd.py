"""`agentops agents …`: the agents registry."""

from __future__ import annotations

import functools
import json
from collections.abc import Callable
from typing import Any

import click

from cli._commands import delete_command, list_command
from cli._connection import Connection, connection_options
from cli._output import given, output_option, render
from cli._resolve import AGENT, object_path, update_named

COLUMNS = ("id", "name", "team", "provider", "environment", "status")


STATUSES = click.Choice(["active", "paused", "killed"])


def _json_object(value: str | None) -> dict[str, Any] | None:
    if value is None:
        return None
    data = json.loads(value)
    if not isinstance(data, dict):
        raise click.BadParameter("must be a JSON object", param_hint="--config")
    return data


def _tags(values: tuple[str, ...]) -> dict[str, str] | None:
    if not values:
        return None
    pairs = [v.split("=", 1) for v in values]
    if any(len(p) != 2 for p in pairs):
        raise click.BadParameter("tags are key=value", param_hint="--tag")
    return {k: v for k, v in pairs}


def field_options(func: Callable[..., None]) -> Callable[..., None]:
    """The agent's fields ``create`` and ``update`` both take, handed to the command as one
    ``fields`` dict of the given ones (the API's body)."""

    @functools.wraps(func)
    def command(
        *args: Any,
        team: str | None,
        provider: str | None,
        environment: str | None,
        tags: tuple[str, ...],
        config: str | None,
        **kwargs: Any,
    ) -> None:
        fields = given(
            team=team,
            provider=provider,
            environment=environment,
            tags=_tags(tags),
            config=_json_object(config),
        )
        func(*args, fields=fields, **kwargs)

    for option in reversed(
        [
            click.option("--team", default=None, help="Team name."),
            click.option("--provider", default=None, help="Model provider (openai, anthropic, …)."),
            click.option("--environment", default=None, help="Environment (prod, staging, …)."),
            click.option(
                "--tag",
                "tags",
                multiple=True,
                help="key=value tag, repeatable (update: replaces the tags).",
            ),
            click.option(
                "--config",
                default=None,
                help="Agent config as a JSON object (update: replaces it).",
            ),
        ]
    ):
        command = option(command)
    return command


@click.group()
def agents() -> None:
    """Register, inspect and change agents.

    \b
    Examples:
      agentops agents list --status active
      agentops agents create refund-bot --team payments --provider openai
    """


list_agents = list_command(
    agents,
    "/agents",
    COLUMNS,
    "List agents, newest first.",
    "agentops agents list --team payments -o json",
    filters=[
        click.option("--team", default=None, help="Only agents of this team."),
        click.option("--status", type=STATUSES, default=None, help="Only agents in this status."),
        click.option("--environment", default=None, help="Only agents of this environment."),
        click.option("--limit", type=int, default=50, show_default=True, help="Page size."),
        click.option("--cursor", default=None, help="Cursor of the next page (from -o json)."),
    ],
)


@agents.command("create")
@click.argument("name")
@field_options
@connection_options
@output_option
def create_agent(name: str, fields: dict[str, Any], api: Connection, output: str) -> None:
    """Register an agent.

    \b
    Example:
      agentops agents create refund-bot --team payments --tag tier=1
    """
    render(api.request("POST", "/agents", {"name": name, **fields}), output, COLUMNS)


@agents.command("show")
@click.argument("agent", metavar="NAME|ID")
@connection_options
@output_option
def show_agent(agent: str, api: Connection, output: str) -> None:
    """Show one agent, by name or id.

    \b
    Examples:
      agentops agents show refund-bot
      agentops agents show 01935f7e-… -o json
    """
    client = api.client()
    render(client.request("GET", object_path(client, AGENT, agent)), output)


@agents.command("update")
@click.argument("agent", metavar="NAME|ID")
@click.option("--name", default=None, help="New name.")
@click.option("--status", type=STATUSES, default=None, help="New status.")
@field_options
@connection_options
@output_option
def update_agent(
    agent: str,
    name: str | None,
    status: str | None,
    fields: dict[str, Any],
    api: Connection,
    output: str,
) -> None:
    """Change an agent, by name or id (only the given fields).

    \b
    Example:
      agentops agents update refund-bot --status paused
    """
    body = given(name=name, status=status) | fields
    update_named(api.client(), AGENT, agent, body, output, COLUMNS)


delete_agent = delete_command(
    agents, AGENT, "Delete an agent, by name or id.", "agentops agents delete refund-bot"
)
