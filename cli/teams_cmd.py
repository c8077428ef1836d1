"""`agentops teams …`: teams."""

from __future__ import annotations

import click

from cli._client import api_url_option, make_client
from cli._output import output_option, render

COLUMNS = ("id", "name", "description", "created_at")


@click.group()
def teams() -> None:
    """Create, list, rename and delete teams.

    \b
    Examples:
      agentops teams create payments
      agentops teams list -o json
    """


@teams.command("list")
@api_url_option
@output_option
def list_teams(api_url: str | None, output: str) -> None:
    """List teams.

    \b
    Example:
      agentops teams list
    """
    page = make_client(api_url).request("GET", "/teams")
    render(page if output == "json" else page["items"], output, COLUMNS)


@teams.command("create")
@click.argument("name")
@click.option("--description", default=None, help="What the team does.")
@api_url_option
@output_option
def create_team(name: str, description: str | None, api_url: str | None, output: str) -> None:
    """Create a team.

    \b
    Example:
      agentops teams create payments --description "Refunds and billing agents"
    """
    body = {"name": name, "description": description}
    render(make_client(api_url).request("POST", "/teams", body), output, COLUMNS)


@teams.command("update")
@click.argument("team_id")
@click.option("--name", default=None, help="New name.")
@click.option("--description", default=None, help="New description.")
@api_url_option
@output_option
def update_team(
    team_id: str, name: str | None, description: str | None, api_url: str | None, output: str
) -> None:
    """Rename or describe a team.

    \b
    Example:
      agentops teams update 01935f7e-… --name billing
    """
    body = {k: v for k, v in {"name": name, "description": description}.items() if v is not None}
    render(make_client(api_url).request("PATCH", f"/teams/{team_id}", body), output, COLUMNS)


@teams.command("delete")
@click.argument("team_id")
@api_url_option
def delete_team(team_id: str, api_url: str | None) -> None:
    """Delete a team (its agents keep running, without a team).

    \b
    Example:
      agentops teams delete 01935f7e-…
    """
    make_client(api_url).request("DELETE", f"/teams/{team_id}")
    click.echo(f"deleted team {team_id}")
