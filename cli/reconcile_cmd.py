"""`agentops costs reconcile`: the provider's bill against what the proxies captured."""

from __future__ import annotations

from pathlib import Path

import click

from cli._connection import Connection, connection_options
from cli._output import output_option, render

COLUMNS = ("day", "model", "status", "provider_usd", "captured_usd", "drift_usd",
           "drift_percent", "captured_calls", "unpriced_calls")  # fmt: skip


@click.command("reconcile")
@click.option("--provider", required=True, type=click.Choice(["openai", "anthropic", "bedrock"]),
              help="Whose export the file is.")  # fmt: skip
@click.option(
    "--file",
    "path",
    required=True,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="OpenAI Costs API JSON, Anthropic cost report JSON, or an AWS CUR CSV (Bedrock).",
)
@click.option("--threshold", default="5", show_default=True, metavar="PERCENT",
              help="Flag a day and model drifting more than this % of the bill.")  # fmt: skip
@click.option("--no-alert", is_flag=True, help="Report only; do not alert the org's channels.")
@connection_options
@output_option
def reconcile(
    provider: str, path: Path, threshold: str, no_alert: bool, api: Connection, output: str
) -> None:
    """Compare a provider's usage/cost export with the captured calls, per UTC day and model.

    Lines are ok, drift (beyond the threshold), not_captured (billed, but no call went
    through the proxy: traffic around it) or not_billed. Exits 1 when a line is flagged.

    \b
    Examples:
      agentops costs reconcile --provider openai --file costs.json
      agentops costs reconcile --provider bedrock --file cur.csv --threshold 2 --no-alert
    """
    body = {"provider": provider, "content": path.read_text(encoding="utf-8"),
            "threshold_percent": threshold, "notify": not no_alert}  # fmt: skip
    result = api.request("POST", "/costs/reconcile", body)
    if output == "json":
        render(result, output)
    else:
        render(result["lines"], output, COLUMNS)
        click.echo(
            f"billed {result['provider_usd']}  captured {result['captured_usd']}  "
            f"drift {result['drift_usd']}  around the proxy {result['uncaptured_usd']}  "
            f"({result['flagged']} lines flagged beyond {result['threshold_percent']}%, "
            f"{result['alerted']} alerts queued)"
        )
    if result["flagged"]:
        raise SystemExit(1)
