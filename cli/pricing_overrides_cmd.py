"""`agentops pricing overrides …`: the org's own prices, kept by the control plane."""

from __future__ import annotations

import click

from cli._connection import Connection, connection_options
from cli._output import output_option, render

OVERRIDE_COLUMNS = ("model", "provider", "input", "output", "cached_read", "request",
                    "discount_percent", "effective_from", "version")  # fmt: skip


@click.group("overrides")
def overrides() -> None:
    """The org's own prices (negotiated discounts, private models), kept by the control plane.

    \b
    Examples:
      agentops pricing overrides list
      agentops pricing overrides set --model my-private-llm --provider custom \\
          --input-per-m 0.5 --output-per-m 1.5
    """


@overrides.command("list")
@connection_options
@output_option
def overrides_list(api: Connection, output: str) -> None:
    """List the org's overrides in force and the price version they give.

    \b
    Example:
      agentops pricing overrides list -o json
    """
    data = api.request("GET", "/prices/overrides")
    if output == "json":
        render(data, output)
        return
    click.echo(f"override version {data['version']}  (price version {data['price_version']})")
    render(data["items"], output, OVERRIDE_COLUMNS)


@overrides.command("set")
@click.option("--model", "-m", required=True, help="Model name or catalogue key.")
@click.option("--provider", default=None, help="Provider, e.g. openai, anthropic, azure.")
@click.option("--input-per-m", default=None, help="Input tokens, USD per 1M.")
@click.option("--output-per-m", default=None, help="Output tokens, USD per 1M.")
@click.option("--cached-per-m", default=None, help="Cache-read tokens, USD per 1M.")
@click.option("--request-fee", default=None, help="USD per request.")
@click.option("--discount", default=None, help="Percent off every catalogue rate, e.g. 15.")
@click.option(
    "--effective-from", default=None, help="Calls from this instant (ISO 8601 with offset)."
)
@connection_options
@output_option
def overrides_set(
    model: str,
    provider: str | None,
    input_per_m: str | None,
    output_per_m: str | None,
    cached_per_m: str | None,
    request_fee: str | None,
    discount: str | None,
    effective_from: str | None,
    api: Connection,
    output: str,
) -> None:
    """Set MODEL's price for the org (replaces its earlier override; a new version).

    \b
    Example:
      agentops pricing overrides set --model gpt-4o --input-per-m 2.00 --output-per-m 8.00
    """
    fields = {
        "model": model, "provider": provider, "input": input_per_m, "output": output_per_m,
        "cached_read": cached_per_m, "request": request_fee, "discount_percent": discount,
        "effective_from": effective_from,
    }  # fmt: skip
    body = {k: v for k, v in fields.items() if v is not None}
    row = api.request("POST", "/prices/overrides", body=body)
    render(row, output, OVERRIDE_COLUMNS)


@overrides.command("delete")
@click.option("--model", "-m", required=True, help="Model name the override was set for.")
@click.option("--provider", default=None, help="Provider it was set for, if any.")
@connection_options
def overrides_delete(model: str, provider: str | None, api: Connection) -> None:
    """Remove MODEL's override: its calls are priced from the catalogue again.

    \b
    Example:
      agentops pricing overrides delete --model gpt-4o
    """
    query = {"model": model, "provider": provider}
    api.request("DELETE", "/prices/overrides", query=query)
    click.echo(f"Deleted the price override for {model}")
