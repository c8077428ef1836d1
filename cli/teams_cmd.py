"""`agentops teams …`: teams."""

from __future__ import annotations

import click

from cli._commands import delete_command, list_command
from cli._connection import Connection, connection_options
from cli._output import given, output_option, render
from cli._resolve import TEAM, update_named

COLUMNS = ("id", "name", "description", "created_at")


@click.group()
def teams() -> None:
    """Create, list, rename and delete teams.

    \b
    Examples:
      agentops teams create payments
      agentops teams list -o json
    """


list_teams = list_command(teams, "/teams", COLUMNS, "List teams.", "agentops teams list")


@teams.command("create")
@click.argument("name")
@click.option("--description", default=None, help="What the team does.")
@connection_options
@output_option
def create_team(name: str, description: str | None, api: Connection, output: str) -> None:
    """Create a team.

    \b
    Example:
      agentops teams create payments --description "Refunds and billing agents"
    """
    body = {"name": name, "description": description}
    render(api.request("POST", "/teams", body), output, COLUMNS)


@teams.command("update")
@click.argument("team", metavar="NAME|ID")
@click.option("--name", default=None, help="New name.")
@click.option("--description", default=None, help="New description.")
@connection_options
@output_option
def update_team(
    team: str, name: str | None, description: str | None, api: Connection, output: str
) -> None:
    """Rename or describe a team (by name or id).

    \b
    Example:
      agentops teams update payments --name billing
    """
    body = given(name=name, description=description)
    update_named(api.client(), TEAM, team, body, output, COLUMNS)


delete_team = delete_command(
    teams,
    TEAM,
    "Delete a team, by name or id (its agents keep running, without a team).",
    "agentops teams delete payments",
)
