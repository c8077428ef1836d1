"""`agentops pricing unpriced | reprice`: the org's calls against the prices, through the API."""

from __future__ import annotations

from typing import Any

import click

from cli._connection import Connection, connection_options
from cli._output import output_option, render


@click.command("unpriced")
@click.option(
    "--from", "start", default=None, help="Start (ISO 8601 with offset); default 30 days ago."
)
@click.option("--to", "end", default=None, help="End, exclusive; default now.")
@connection_options
@output_option
def unpriced_command(start: str | None, end: str | None, api: Connection, output: str) -> None:
    """Models the org's calls used that have no price, with call counts: add a price for
    them with `agentops pricing overrides set`.

    \b
    Example:
      agentops pricing unpriced --from 2026-11-01T00:00:00Z
    """
    query = {"from": start, "to": end}
    data = api.request("GET", "/prices/unpriced", query=query)
    if output == "json":
        render(data, output)
        return
    render(data["items"], output, ("model", "provider", "calls", "first_seen", "last_seen"))


@click.command("reprice")
@click.option("--from", "start", required=True, help="Start (ISO 8601 with offset).")
@click.option("--to", "end", required=True, help="End, exclusive (ISO 8601 with offset).")
@click.option("--model", "-m", default=None, help="Only calls to this model.")
@click.option("--agent", default=None, help="Only calls of this agent.")
@click.option("--dry-run", is_flag=True, help="Show what would change; write nothing.")
@connection_options
@output_option
def reprice_command(
    start: str,
    end: str,
    model: str | None,
    agent: str | None,
    dry_run: bool,
    api: Connection,
    output: str,
) -> None:
    """Price the calls of a range again (catalogue + the org's overrides) and record every
    corrected cost; runs and cost reports follow.

    \b
    Example:
      agentops pricing reprice --from 2026-11-01T00:00:00Z --to 2026-11-27T00:00:00Z \\
          --model gpt-4o --dry-run
    """
    body: dict[str, Any] = {"from": start, "to": end, "dry_run": dry_run}
    body |= {k: v for k, v in (("model", model), ("agent", agent)) if v is not None}
    data = api.request("POST", "/costs/reprice", body=body)
    if output == "json":
        render(data, output)
        return
    verb = "would change" if dry_run else "changed"
    click.echo(
        f"{data['calls_changed']} of {data['calls_examined']} calls {verb}: "
        f"{data['old_total_usd']} -> {data['new_total_usd']} USD "
        f"(delta {data['delta_usd']}, price version {data['price_version']})"
    )
    if data["batch_id"]:
        click.echo(f"corrections recorded as batch {data['batch_id']}")
