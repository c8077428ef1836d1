"""`agentops members …`: org members."""

from __future__ import annotations

import click

from cli._client import api_url_option, make_client
from cli._output import output_option, render

ROLES = click.Choice(["owner", "admin", "team_lead", "member", "viewer"])
COLUMNS = ("id", "email", "role", "team_id", "created_at")


@click.group()
def members() -> None:
    """Invite members, change their roles, remove them.

    \b
    Examples:
      agentops members invite bob@example.com --role admin
      agentops members list
    """


@members.command("list")
@click.option("--role", type=ROLES, default=None, help="Only members with this role.")
@api_url_option
@output_option
def list_members(role: str | None, api_url: str | None, output: str) -> None:
    """List the org's members.

    \b
    Example:
      agentops members list --role admin
    """
    page = make_client(api_url).request("GET", "/org-members", query={"role": role})
    render(page if output == "json" else page["items"], output, COLUMNS)


@members.command("invite")
@click.argument("email")
@click.option("--role", type=ROLES, default="member", show_default=True, help="Role in the org.")
@click.option("--team-id", default=None, help="Team a team_lead leads.")
@api_url_option
@output_option
def invite(email: str, role: str, team_id: str | None, api_url: str | None, output: str) -> None:
    """Invite a member by e-mail.

    \b
    Example:
      agentops members invite lead@example.com --role team_lead --team-id 01935f7e-…
    """
    body = {"email": email, "role": role, "team_id": team_id}
    render(make_client(api_url).request("POST", "/org-members", body), output, COLUMNS)


@members.command("update")
@click.argument("member_id")
@click.option("--role", type=ROLES, default=None, help="New role.")
@click.option("--team-id", default=None, help="New team (for a team_lead).")
@api_url_option
@output_option
def update(
    member_id: str, role: str | None, team_id: str | None, api_url: str | None, output: str
) -> None:
    """Change a member's role or team.

    \b
    Example:
      agentops members update 01935f7e-… --role viewer
    """
    body = {k: v for k, v in {"role": role, "team_id": team_id}.items() if v is not None}
    render(
        make_client(api_url).request("PATCH", f"/org-members/{member_id}", body), output, COLUMNS
    )


@members.command("remove")
@click.argument("member_id")
@api_url_option
def remove(member_id: str, api_url: str | None) -> None:
    """Remove a member (the last owner cannot be removed).

    \b
    Example:
      agentops members remove 01935f7e-…
    """
    make_client(api_url).request("DELETE", f"/org-members/{member_id}")
    click.echo(f"removed member {member_id}")
