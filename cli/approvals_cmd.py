"""``agentops approvals list | show | approve | deny``: calls held by require_approval policies.

The held call waits in its proxy; approving or denying here releases it within a second.
"""

from __future__ import annotations

import click

from cli._connection import Connection, connection_options, url_alias
from cli._output import echo_json, output_option, render

COLUMNS = ("id", "status", "agent", "run_id", "model", "policy_name", "estimated_cost_usd",
           "expires_at")  # fmt: skip
STATUSES = ("pending", "approved", "denied", "expired")


@click.group()
def approvals() -> None:
    """List held calls and approve or deny them.

    \b
    Examples:
      agentops approvals list
      agentops approvals approve apr_1a2b... --reason "customer escalation, ok"
      agentops approvals approve apr_1a2b... --for-run --reason "batch is expected"
      agentops approvals deny apr_1a2b... --reason "use gpt-4o-mini"
    """


@approvals.command("list")
@click.option("--status", type=click.Choice(STATUSES), default="pending", show_default=True,
              help="Which requests to list.")  # fmt: skip
@click.option("--all", "all_", is_flag=True, help="Every status (overrides --status).")
@connection_options
@url_alias
@output_option
def list_approvals(status: str, all_: bool, api: Connection, output: str) -> None:
    """List approval requests, newest first (pending ones by default).

    \b
    Example:
      agentops approvals list --all -o json
    """
    query = "?limit=200" + ("" if all_ else f"&status={status}")
    page = api.request("GET", f"/approvals{query}")
    render(page["items"] if output == "table" else page, output, COLUMNS)


@approvals.command("show")
@click.argument("approval_id")
@connection_options
@url_alias
@output_option
def show(approval_id: str, api: Connection, output: str) -> None:
    """Show one approval request: the call's summary and, once decided, who decided and why.

    \b
    Example:
      agentops approvals show apr_1a2b... -o json
    """
    render(api.request("GET", f"/approvals/{approval_id}"), output)


@approvals.command("approve")
@click.argument("approval_id")
@click.option("--reason", required=True, help="Why (audited).")
@click.option("--for-run", is_flag=True, help="Approve the rest of this run too.")
@connection_options
@url_alias
@output_option
def approve(approval_id: str, reason: str, for_run: bool, api: Connection, output: str) -> None:
    """Approve a held call (its proxy sends it on) or a budget top-up (in force at once).

    \b
    Example:
      agentops approvals approve apr_1a2b... --reason "reviewed the prompt"
    """
    body = {"reason": reason, "for_run": for_run}
    found = api.request("POST", f"/approvals/{approval_id}/approve", body)
    if output == "json":
        echo_json(found)
        return
    if found.get("topup_until"):
        click.echo(
            f"approved top-up {found['id']}: +${found['topup_usd']} on budget "
            f"{found['policy_name']!r} until {found['topup_until']}"
        )
        return
    click.echo(f"approved {found['id']} ({found['coverage']}): agent {found['agent']}")


@approvals.command("deny")
@click.argument("approval_id")
@click.option("--reason", required=True, help="Why (audited, and told to the agent).")
@connection_options
@url_alias
@output_option
def deny(approval_id: str, reason: str, api: Connection, output: str) -> None:
    """Deny a held call: its proxy refuses it with your reason.

    \b
    Example:
      agentops approvals deny apr_1a2b... --reason "use gpt-4o-mini"
    """
    found = api.request("POST", f"/approvals/{approval_id}/deny", {"reason": reason})
    if output == "json":
        echo_json(found)
        return
    click.echo(f"denied {found['id']}: agent {found['agent']}")
