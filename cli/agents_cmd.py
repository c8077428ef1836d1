"""`agentops agents …`: the agents registry."""

from __future__ import annotations

import json
from typing import Any

import click

from cli._connection import Connection, connection_options
from cli._output import given, output_option, render, render_page
from cli._resolve import AGENT, delete_named, object_path, update_named

COLUMNS = ("id", "name", "team", "provider", "environment", "status")


def _json_object(value: str | None) -> dict[str, Any] | None:
    if value is None:
        return None
    data = json.loads(value)
    if not isinstance(data, dict):
        raise click.BadParameter("must be a JSON object")
    return data


def _tags(values: tuple[str, ...]) -> dict[str, str] | None:
    if not values:
        return None
    pairs = [v.split("=", 1) for v in values]
    if any(len(p) != 2 for p in pairs):
        raise click.BadParameter("tags are key=value")
    return {k: v for k, v in pairs}


@click.group()
def agents() -> None:
    """Register, inspect and change agents.

    \b
    Examples:
      agentops agents list --status active
      agentops agents create refund-bot --team payments --provider openai
    """


@agents.command("list")
@click.option("--team", default=None, help="Only agents of this team.")
@click.option(
    "--status",
    type=click.Choice(["active", "paused", "killed"]),
    default=None,
    help="Only agents in this status.",
)
@click.option("--environment", default=None, help="Only agents of this environment.")
@click.option("--limit", type=int, default=50, show_default=True, help="Page size.")
@click.option("--cursor", default=None, help="Cursor of the next page (from --output json).")
@connection_options
@output_option
def list_agents(
    team: str | None,
    status: str | None,
    environment: str | None,
    limit: int,
    cursor: str | None,
    api: Connection,
    output: str,
) -> None:
    """List agents, newest first.

    \b
    Example:
      agentops agents list --team payments -o json
    """
    query = {
        "team": team,
        "status": status,
        "environment": environment,
        "limit": limit,
        "cursor": cursor,
    }
    page = api.request("GET", "/agents", query=query)
    render_page(page, output, COLUMNS)


@agents.command("create")
@click.argument("name")
@click.option("--team", default=None, help="Team name.")
@click.option("--provider", default=None, help="Model provider (openai, anthropic, …).")
@click.option("--environment", default=None, help="Environment (prod, staging, …).")
@click.option("--tag", "tags", multiple=True, help="key=value tag (repeatable).")
@click.option("--config", "config", default=None, help="Agent config as a JSON object.")
@connection_options
@output_option
def create_agent(
    name: str,
    team: str | None,
    provider: str | None,
    environment: str | None,
    tags: tuple[str, ...],
    config: str | None,
    api: Connection,
    output: str,
) -> None:
    """Register an agent.

    \b
    Example:
      agentops agents create refund-bot --team payments --tag tier=1
    """
    body: dict[str, Any] = {
        "name": name,
        "team": team,
        "provider": provider,
        "environment": environment,
    }
    body["tags"] = _tags(tags) or {}
    body["config"] = _json_object(config) or {}
    render(api.request("POST", "/agents", body), output, COLUMNS)


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
@click.option("--team", default=None, help="New team name.")
@click.option(
    "--status", type=click.Choice(["active", "paused", "killed"]), default=None, help="New status."
)
@click.option("--tag", "tags", multiple=True, help="Replace tags with these key=value pairs.")
@click.option("--config", "config", default=None, help="Replace config with this JSON object.")
@connection_options
@output_option
def update_agent(
    agent: str,
    name: str | None,
    team: str | None,
    status: str | None,
    tags: tuple[str, ...],
    config: str | None,
    api: Connection,
    output: str,
) -> None:
    """Change an agent, by name or id (only the given fields).

    \b
    Example:
      agentops agents update refund-bot --status paused
    """
    body = given(name=name, team=team, status=status, tags=_tags(tags), config=_json_object(config))
    update_named(api.client(), AGENT, agent, body, output, COLUMNS)


@agents.command("delete")
@click.argument("agent", metavar="NAME|ID")
@connection_options
def delete_agent(agent: str, api: Connection) -> None:
    """Delete an agent, by name or id.

    \b
    Example:
      agentops agents delete refund-bot
    """
    delete_named(api, AGENT, agent)
