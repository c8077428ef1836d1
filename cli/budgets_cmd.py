"""`agentops budgets …`: budgets with their live spend and forecast."""

from __future__ import annotations

from typing import Any

import click

from cli._commands import delete_command, list_command
from cli._connection import Connection, connection_options, url_alias
from cli._output import output_option, render
from cli._resolve import BUDGET, object_path, update_named

COLUMNS = (
    "id", "name", "scope", "target", "period", "enforcement", "limit_usd",
    "current_spend_usd", "percent_used", "forecast_usd", "paused",
)  # fmt: skip


@click.group()
def budgets() -> None:
    """Create, list, change and delete budgets.

    \b
    Examples:
      agentops budgets create team-monthly --scope team --target research --limit 500 \\
          --threshold 50 --threshold 80 --auto-pause 100 --hard
      agentops budgets list
    """


list_budgets = list_command(
    budgets,
    "/budgets",
    COLUMNS,
    "List budgets with this period's spend and the month-end forecast.",
    "agentops budgets list -o json",
    query={"limit": 200},
)


def _body(**fields: Any) -> dict[str, Any]:
    return {key: value for key, value in fields.items() if value not in (None, ())}


@budgets.command("create")
@click.argument("name")
@click.option(
    "--scope",
    type=click.Choice(["org", "team", "agent", "run"]),
    required=True,
    help="What the budget covers (run: each run of the target agent).",
)
@click.option("--target", default=None, help="Team name (team) or agent name (agent, run).")
@click.option("--limit", "limit_usd", required=True, help="Limit in USD, e.g. 500 or 12.50.")
@click.option(
    "--period",
    type=click.Choice(["daily", "weekly", "monthly", "custom"]),
    default="monthly",
    show_default=True,
    help="Period, in the org's time zone.",
)
@click.option(
    "--start", "custom_start", default=None, help="Custom period start (ISO 8601 with offset)."
)
@click.option("--end", "custom_end", default=None, help="Custom period end (ISO 8601 with offset).")
@click.option("--model", default=None, help="Only calls to this model.")
@click.option("--provider", default=None, help="Only calls to this provider.")
@click.option(
    "--threshold", "thresholds", multiple=True, help="Alert at this percent (repeatable)."
)
@click.option("--auto-pause", "auto_pause", default=None, help="Pause the scope at this percent.")
@click.option("--max-calls", type=int, default=None, help="Run budgets: calls allowed per run.")
@click.option(
    "--hard/--soft",
    default=False,
    help="hard: the proxy refuses calls over the limit; soft: alerts only.",
)
@connection_options
@output_option
def create_budget(
    name: str, scope: str, target: str | None, limit_usd: str, period: str,
    custom_start: str | None, custom_end: str | None, model: str | None, provider: str | None,
    thresholds: tuple[str, ...], auto_pause: str | None, max_calls: int | None, hard: bool,
    api: Connection, output: str,
) -> None:  # fmt: skip
    """Create a budget.

    \b
    Example:
      agentops budgets create bot-daily --scope agent --target refund-bot --limit 20 \\
          --period daily --threshold 80 --hard
    """
    body = _body(
        name=name, scope=scope, target=target, limit_usd=limit_usd, period=period,
        custom_start=custom_start, custom_end=custom_end, model=model, provider=provider,
        threshold_alert_percent=list(thresholds) or None, auto_pause_at_percent=auto_pause,
        max_calls=max_calls, enforcement="hard" if hard else "soft",
    )  # fmt: skip
    render(api.request("POST", "/budgets", body), output, COLUMNS)


@budgets.command("update")
@click.argument("budget", metavar="NAME|ID")
@click.option("--limit", "limit_usd", default=None, help="New limit in USD.")
@click.option("--threshold", "thresholds", multiple=True, help="Replace the alert thresholds.")
@click.option("--auto-pause", "auto_pause", default=None, help="Pause the scope at this percent.")
@click.option("--hard/--soft", default=None, help="Change the enforcement.")
@connection_options
@output_option
def update_budget(
    budget: str, limit_usd: str | None, thresholds: tuple[str, ...], auto_pause: str | None,
    hard: bool | None, api: Connection, output: str,
) -> None:  # fmt: skip
    """Change a budget's limit, thresholds, auto-pause or enforcement (budget by name or id).

    \b
    Example:
      agentops budgets update team-monthly --limit 750 --hard
    """
    body = _body(
        limit_usd=limit_usd, threshold_alert_percent=list(thresholds) or None,
        auto_pause_at_percent=auto_pause,
        enforcement=None if hard is None else ("hard" if hard else "soft"),
    )  # fmt: skip
    update_named(api.client(), BUDGET, budget, body, output, COLUMNS)


delete_budget = delete_command(
    budgets, BUDGET, "Delete a budget, by name or id.", "agentops budgets delete team-monthly"
)


@budgets.command("topup")
@click.argument("budget", metavar="NAME|ID")
@click.option("--amount", "amount_usd", required=True, help="How much to add, in USD.")
@click.option("--hours", required=True, help="For how long, from the approval (at most 168).")
@click.option("--reason", required=True, help="Why (shown to the approvers, audited).")
@click.option("--agent", default=None, help="The agent the budget stopped, for the approvers.")
@connection_options
@url_alias
@output_option
def topup(
    budget: str, amount_usd: str, hours: str, reason: str, agent: str | None, api: Connection,
    output: str,
) -> None:  # fmt: skip
    """Ask for a temporary increase of a hard budget; an owner or admin other than you decides
    it with `agentops approvals approve|deny`. Approved, every proxy raises the limit at once
    and drops the increase when it expires.

    \b
    Example:
      agentops budgets topup team-monthly --amount 25 --hours 4 --reason "quarter-end batch"
    """
    body = _body(amount_usd=amount_usd, hours=hours, reason=reason, agent=agent)
    client = api.client()
    found = client.request("POST", object_path(client, BUDGET, budget) + "/topups", body)
    if output == "json":
        render(found, output, ())
        return
    click.echo(
        f"top-up {found['id']} requested: ${found['topup_usd']} for {hours} h on budget "
        f"{found['policy_name']!r}; an approver runs: agentops approvals approve {found['id']} "
        "--reason ..."
    )
