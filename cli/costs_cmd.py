"""`agentops costs …`: cost reports from the control plane (exact amounts, in USD)."""

from __future__ import annotations

from typing import Any

import click

from cli._connection import Connection, connection_options
from cli._output import output_option, render

COLUMNS = ("group", "calls", "errors", "input_tokens", "output_tokens", "cost_usd",
           "unpriced_calls", "unpriced_input_tokens", "unpriced_output_tokens")  # fmt: skip


@click.group()
def costs() -> None:
    """Cost reports: by org, team, agent, model, provider or day.

    \b
    Examples:
      agentops costs summary --by team --from 2026-11-01T00:00:00Z --to 2026-12-01T00:00:00Z
      agentops costs summary --by model -o json
    """


@costs.command("summary")
@click.option("--by", "group_by", default="agent", show_default=True,
              type=click.Choice(["org", "team", "agent", "model", "provider", "day"]),
              help="Dimension to group by.")  # fmt: skip
@click.option("--from", "from_", default=None, metavar="ISO", help="Start (default: 30 days ago).")
@click.option("--to", default=None, metavar="ISO", help="End, exclusive (default: now).")
@connection_options
@output_option
def summary(group_by: str, from_: str | None, to: str | None, api: Connection, output: str) -> None:
    """Costs grouped by one dimension, with totals (hour-aligned, UTC days).

    \b
    Example:
      agentops costs summary --by team --from 2026-11-01T00:00:00Z --to 2026-11-08T00:00:00Z
    """
    query = {"group_by": group_by, "from": from_, "to": to}
    report = api.request("GET", "/costs/summary", query=query)
    if output == "json":
        render(report, output)
        return
    rows = [_row(g["label"], g["figures"]) for g in report["groups"]]
    rows.append(_row("TOTAL", report["totals"]))
    render(rows, output, COLUMNS)
    totals = report["totals"]
    if totals["unpriced_calls"]:
        click.echo(f"warning: {totals['unpriced_calls']} calls unpriced "
                   f"({totals['unpriced_input_tokens']} input and "
                   f"{totals['unpriced_output_tokens']} output tokens): their cost is not in "
                   "these totals (`agentops pricing unpriced` lists the models)")  # fmt: skip


def _row(label: str, figures: dict[str, Any]) -> dict[str, Any]:
    """A group's figures; a cost leaving unpriced calls out says so instead of looking free."""
    cost = figures["cost_usd"]
    if figures["unpriced_calls"]:
        cost = "unpriced" if figures["unpriced_calls"] == figures["calls"] else f"{cost} + unpriced"
    return {"group": label, **figures, "cost_usd": cost}
