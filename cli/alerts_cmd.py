"""`agentops alerts …`: notification channels and alert deliveries."""

from __future__ import annotations

import click

from cli._commands import delete_command, list_command
from cli._connection import Connection, connection_options
from cli._output import output_option, render, render_page
from cli._resolve import CHANNEL

CHANNEL_COLUMNS = ("id", "name", "kind", "url", "recipients", "enabled")
DELIVERY_COLUMNS = ("id", "event_type", "status", "attempts", "next_attempt_at", "last_error")
KINDS = click.Choice(["webhook", "slack", "email"])
DELIVERY_STATES = click.Choice(["pending", "delivered", "dead"])


@click.group()
def alerts() -> None:
    """Notification channels and alert deliveries.

    \b
    Examples:
      agentops alerts channels add ops --kind webhook --url https://hooks.example.com/agentops
      agentops alerts deliveries --status dead
      agentops alerts resend 01935f7e-…
    """


@alerts.group("channels", invoke_without_command=True)
@connection_options
@output_option
@click.pass_context
def channels(ctx: click.Context, api: Connection, output: str) -> None:
    """List channels (or add and delete them with the subcommands).

    \b
    Example:
      agentops alerts channels -o json
    """
    if ctx.invoked_subcommand is None:
        page = api.request("GET", "/alerts/channels", query={"limit": 200})
        render_page(page, output, CHANNEL_COLUMNS)


@channels.command("add")
@click.argument("name")
@click.option(
    "--kind",
    type=KINDS,
    required=True,
    help="webhook (signed, Standard Webhooks), slack (incoming webhook) or email.",
)
@click.option("--url", default=None, help="Webhook or Slack incoming-webhook URL.")
@click.option("--to", "recipients", multiple=True, help="E-mail recipient (repeatable).")
@connection_options
@output_option
def add_channel(
    name: str, kind: str, url: str | None, recipients: tuple[str, ...], api: Connection,
    output: str,
) -> None:  # fmt: skip
    """Add a channel; a webhook's signing secret is printed once.

    \b
    Example:
      agentops alerts channels add finance --kind email --to cfo@example.com
    """
    body = {"name": name, "kind": kind, "url": url, "recipients": list(recipients)}
    render(
        api.request("POST", "/alerts/channels", body),
        output,
        (*CHANNEL_COLUMNS, "secret"),
    )


delete_channel = delete_command(
    channels,
    CHANNEL,
    "Delete a channel, by name or id (its deliveries go with it).",
    "agentops alerts channels delete finance",
)


list_deliveries = list_command(
    alerts,
    "/alerts/deliveries",
    DELIVERY_COLUMNS,
    "List alert deliveries, newest first.",
    "agentops alerts deliveries --status dead",
    query={"limit": 200},
    filters=[
        click.option(
            "--status", type=DELIVERY_STATES, default=None, help="Only deliveries in this state."
        )
    ],
    name="deliveries",
)


@alerts.command("resend")
@click.argument("delivery_id")
@connection_options
@output_option
def resend(delivery_id: str, api: Connection, output: str) -> None:
    """Queue a delivery again now (dead letters included).

    \b
    Example:
      agentops alerts resend 01935f7e-…
    """
    path = f"/alerts/deliveries/{delivery_id}/resend"
    render(api.request("POST", path), output, DELIVERY_COLUMNS)
