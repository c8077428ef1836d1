"""`agentops pricing estimate`: the cost of a call with given token counts, offline."""

from __future__ import annotations

import json
from pathlib import Path

import click

from cli._price_table import cost_dict, echo_cost, format_option, load_table, prices_file_option
from pricing import Usage, price_call


@click.command("estimate")
@click.option("--model", "-m", required=True, help="Model name as sent to the provider.")
@click.option(
    "--input", "input_tokens", type=click.IntRange(min=0), default=0, help="Prompt tokens (all)."
)
@click.option(
    "--output",
    "output_tokens",
    type=click.IntRange(min=0),
    default=0,
    help="Completion tokens (all).",
)
@click.option("--cached", type=click.IntRange(min=0), default=0, help="Of input: cache reads.")
@click.option(
    "--cache-write", type=click.IntRange(min=0), default=0, help="Of input: cache writes (5m)."
)
@click.option("--reasoning", type=click.IntRange(min=0), default=0, help="Of output: reasoning.")
@click.option("--provider", help="Provider hint, e.g. openai, azure, bedrock, gemini.")
@click.option("--tier", type=click.Choice(["standard", "batch", "flex", "priority"]), default=None)
@format_option("--format", "-f", "-o")
@prices_file_option
def estimate_command(
    model: str,
    input_tokens: int,
    output_tokens: int,
    cached: int,
    cache_write: int,
    reasoning: int,
    provider: str | None,
    tier: str | None,
    fmt: str,
    prices_file: Path,
) -> None:
    """Cost of a call with these token counts (output format: -o or --format, since --output
    is the output token count).

    Example: agentops pricing estimate --model gpt-4o --input 12000 --output 800 --cached 4000
    """
    usage = Usage(
        input=input_tokens,
        output=output_tokens,
        cached_read=cached,
        cache_write_5m=cache_write,
        reasoning=reasoning,
    )
    table = load_table(prices_file)
    cost = price_call(model, usage, provider=provider, service_tier=tier, table=table)
    if fmt == "json":
        click.echo(json.dumps(cost_dict(model, cost), indent=2))
    else:
        echo_cost(model, cost)
    if cost.total_usd is None:
        raise SystemExit(1)
