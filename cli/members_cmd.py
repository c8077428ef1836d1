"""`agentops members …`: org members."""

from __future__ import annotations

import click

from cli._client import config_path
from cli._commands import delete_command, list_command
from cli._connection import (
    Connection,
    api_url_option,
    connection_options,
    password_option,
    save_login,
)
from cli._output import given, output_option, render
from cli._resolve import MEMBER, TEAM, object_path, resolve, update_named

ROLES = click.Choice(["owner", "admin", "team_lead", "member", "viewer"])
COLUMNS = ("id", "email", "role", "team_id", "created_at")


@click.group()
def members() -> None:
    """Invite members, change their roles, remove them.

    \b
    Examples:
      agentops members invite bob@example.com --role admin
      agentops members accept --token aoa_…     # as the invitee: set your password
      agentops members list
    """


list_members = list_command(
    members,
    "/org-members",
    COLUMNS,
    "List the org's members.",
    "agentops members list --role admin",
    filters=[click.option("--role", type=ROLES, default=None, help="Only members with this role.")],
)


@members.command("invite")
@click.argument("email")
@click.option("--role", type=ROLES, default="member", show_default=True, help="Role in the org.")
@click.option(
    "--team", "--team-id", "team", default=None, metavar="NAME|ID", help="Team a team_lead leads."
)
@connection_options
@output_option
def invite(email: str, role: str, team: str | None, api: Connection, output: str) -> None:
    """Invite a member by e-mail.

    A new person gets a single-use invitation token, printed this once (and e-mailed when
    the org has an e-mail channel); they set their password with `agentops members accept`.

    \b
    Example:
      agentops members invite lead@example.com --role team_lead --team payments
    """
    client = api.client()
    team_id = None if team is None else resolve(client, TEAM, team)
    body = {"email": email, "role": role, "team_id": team_id}
    render(
        client.request("POST", "/org-members", body),
        output,
        (*COLUMNS, "invite_token", "invite_expires_at", "invite_emailed"),
    )


@members.command("accept")
@click.option("--token", required=True, help="The invitation token (aoa_…).")
@password_option("New password")
@api_url_option
@output_option
def accept(token: str, password: str | None, api: Connection, output: str) -> None:
    """Accept an invitation: set your password and sign in (token stored like `login`).

    \b
    Example:
      agentops members accept --token aoa_… --api-url https://agentops.example.com
    """
    password = password or click.prompt(
        "New password", hide_input=True, confirmation_prompt=True, err=True
    )
    client = api.client(authenticated=False)
    tokens = client.request("POST", "/auth/accept-invite", {"token": token, "password": password})
    save_login(client.base_url, tokens)
    render(
        {"org": tokens["org_slug"], "role": tokens["role"], "config": str(config_path())}, output
    )


@members.command("reset-password")
@click.argument("member", metavar="EMAIL|ID")
@connection_options
@output_option
def reset_password(member: str, api: Connection, output: str) -> None:
    """Issue a member a single-use password-reset token (printed once, e-mailed when the org
    has an e-mail channel). They set a new password with POST /auth/reset-password; every
    login they had ends.

    \b
    Example:
      agentops members reset-password bob@example.com
    """
    client = api.client()
    path = object_path(client, MEMBER, member) + "/password-reset"
    issued = client.request("POST", path)
    render(issued, output)


@members.command("update")
@click.argument("member", metavar="EMAIL|ID")
@click.option("--role", type=ROLES, default=None, help="New role.")
@click.option(
    "--team", "--team-id", "team", default=None, metavar="NAME|ID",
    help="New team (for a team_lead).",
)  # fmt: skip
@connection_options
@output_option
def update(member: str, role: str | None, team: str | None, api: Connection, output: str) -> None:
    """Change a member's role or team (member by e-mail or id).

    \b
    Example:
      agentops members update bob@example.com --role viewer
    """
    client = api.client()
    team_id = None if team is None else resolve(client, TEAM, team)
    body = given(role=role, team_id=team_id)
    update_named(client, MEMBER, member, body, output, COLUMNS)


remove = delete_command(
    members,
    MEMBER,
    "Remove a member, by e-mail or id (the last owner cannot be removed).",
    "agentops members remove bob@example.com",
    verb="remove",
    done="removed",
)
