"""`agentops pricing ...`: inspect the price table, estimate a call, import new prices; and,
against the control plane, the org's price overrides, unpriced models and re-pricing."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from cli._client import api_url_option, make_client
from cli._output import output_option, render
from pricing import (
    Cost,
    ModelPrice,
    PriceFormatError,
    PriceTable,
    Usage,
    import_table,
    load_bundled_table,
    price_call,
)
from pricing._community import decimal_text

DEFAULT_PRICES_FILE = "~/.agentops/prices.json"


def prices_file_option[G: Callable[..., Any]](func: G) -> G:
    option = click.option(
        "--prices-file",
        type=click.Path(dir_okay=False, path_type=Path),
        default=DEFAULT_PRICES_FILE,
        envvar="AGENTOPS_PRICES_FILE",
        show_default=True,
        help="User price table, used instead of the bundled one when it exists.",
    )
    return option(func)


def format_option(*names: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    return click.option(
        *names,
        "fmt",
        type=click.Choice(["table", "json"]),
        default="table",
        show_default=True,
        help="Output format.",
    )


def load_table(prices_file: Path) -> PriceTable:
    path = prices_file.expanduser()
    if not path.exists():
        return load_bundled_table()
    try:
        return import_table(path.read_bytes())
    except (PriceFormatError, ValueError) as exc:
        raise click.ClickException(f"{path}: {exc}") from exc


@click.group()
def pricing() -> None:
    """Model prices: show, list, estimate, import; org overrides, unpriced models, re-pricing.

    \b
    Examples:
      agentops pricing show gpt-4o
      agentops pricing overrides set --model gpt-4o --input-per-m 2 --output-per-m 8
      agentops pricing reprice --from 2026-11-01T00:00:00Z --to 2026-11-27T00:00:00Z --dry-run
    """


@pricing.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@prices_file_option
def import_command(file: Path, prices_file: Path) -> None:
    """Validate FILE (LiteLLM-style table or our format) and make it the price table used.

    Example: agentops pricing import model_prices_and_context_window.json
    """
    try:
        table = import_table(file.read_bytes())
    except (PriceFormatError, ValueError) as exc:
        raise click.ClickException(f"{file}: {exc}") from exc
    target = prices_file.expanduser()
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(json.dumps(table.to_dict(), indent=1, sort_keys=False) + "\n", "utf-8")
    click.echo(f"Imported {len(table)} models, version {table.version} -> {target}")


@pricing.command("show")
@click.argument("model")
@click.option("--provider", help="Provider hint, e.g. openai, azure, bedrock, gemini.")
@format_option("--output", "-o")
@prices_file_option
def show_command(model: str, provider: str | None, fmt: str, prices_file: Path) -> None:
    """Show the catalogue entry and rates (USD per 1M tokens) that price MODEL.

    Example: agentops pricing show gpt-4o-2024-08-06 --provider openai
    """
    table = load_table(prices_file)
    entry = table.resolve(model, provider)
    if entry is None:
        raise click.ClickException(f"no price for {model!r} (unpriced_model)")
    data: dict[str, Any] = {"requested": model, "key": entry.key, "price_version": table.version}
    data.update(_entry_dict(entry))
    if fmt == "json":
        click.echo(json.dumps(data, indent=2))
        return
    for name in ("key", "provider", "mode", "effective_date", "price_version"):
        click.echo(f"{name:<18}{data[name]}")
    for name in ("max_input_tokens", "max_output_tokens"):
        click.echo(f"{name:<18}{data.get(name, '-')}")
    for tier, sets in data["rates"].items():
        for rate_set in sets:
            rates = "  ".join(f"{c}={v}" for c, v in rate_set.items() if c != "above")
            click.echo(f"{tier:<9} >{rate_set['above']:<8} {rates}")


@pricing.command("estimate")
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
@format_option("--format", "-f")
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
    """Cost of a call with these token counts (output format: --format, since --output
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
        click.echo(json.dumps(_cost_dict(model, cost), indent=2))
    else:
        _echo_cost(model, cost)
    if cost.total_usd is None:
        raise SystemExit(1)


@pricing.command("list")
@click.option("--provider", help="Only this provider (openai, anthropic, azure, bedrock, ...).")
@click.option("--mode", help="Only this mode (chat, embedding, completion, ...).")
@format_option("--output", "-o")
@prices_file_option
def list_command(provider: str | None, mode: str | None, fmt: str, prices_file: Path) -> None:
    """List catalogue models with input/output rates (USD per 1M tokens).

    Example: agentops pricing list --provider anthropic --mode chat
    """
    table = load_table(prices_file)
    rows: list[dict[str, Any]] = []
    for key in sorted(table.models()):
        entry = table.get(key)
        if entry is None or (provider and entry.provider != provider):
            continue
        if mode and entry.mode != mode:
            continue
        base = entry.rates["standard"][0]
        rows.append(
            {
                "model": key,
                "provider": entry.provider,
                "mode": entry.mode,
                "input": _text(base.input),
                "output": _text(base.output),
            }
        )
    if fmt == "json":
        click.echo(json.dumps({"price_version": table.version, "models": rows}, indent=2))
        return
    width = max((len(r["model"]) for r in rows), default=5) + 2
    click.echo(f"{'MODEL':<{width}}{'PROVIDER':<14}{'MODE':<12}{'INPUT/1M':>12}{'OUTPUT/1M':>12}")
    for r in rows:
        line = f"{r['model']:<{width}}{r['provider']:<14}{r['mode']:<12}"
        click.echo(f"{line}{r['input'] or '-':>12}{r['output'] or '-':>12}")


def _entry_dict(entry: ModelPrice) -> dict[str, Any]:
    from pricing._codec import model_to_dict

    return model_to_dict(entry)


def _cost_dict(model: str, cost: Cost) -> dict[str, Any]:
    return {
        "model": model,
        "priced_model": cost.priced_model,
        "total_usd": _text(cost.total_usd),
        "breakdown": {k: decimal_text(v) for k, v in cost.breakdown.items()},
        "service_tier": cost.service_tier,
        "price_version": cost.price_version,
        "unpriced_reason": cost.unpriced_reason,
    }


def _echo_cost(model: str, cost: Cost) -> None:
    if cost.total_usd is None:
        click.echo(f"{model}: cost not known ({cost.unpriced_reason})")
        return
    click.echo(f"model      {cost.priced_model}  (tier {cost.service_tier})")
    for rate_class, amount in cost.breakdown.items():
        click.echo(f"  {rate_class:<16}{decimal_text(amount):>16}")
    click.echo(f"total USD  {decimal_text(cost.total_usd)}")
    click.echo(f"prices     {cost.price_version}")


def _text(value: Any) -> str | None:
    return None if value is None else decimal_text(value)


OVERRIDE_COLUMNS = ("model", "provider", "input", "output", "cached_read", "request",
                    "discount_percent", "effective_from", "version")  # fmt: skip


@pricing.group("overrides")
def overrides() -> None:
    """The org's own prices (negotiated discounts, private models), kept by the control plane.

    \b
    Examples:
      agentops pricing overrides list
      agentops pricing overrides set --model my-private-llm --provider custom \\
          --input-per-m 0.5 --output-per-m 1.5
    """


@overrides.command("list")
@api_url_option
@output_option
def overrides_list(api_url: str | None, output: str) -> None:
    """List the org's overrides in force and the price version they give.

    \b
    Example:
      agentops pricing overrides list -o json
    """
    data = make_client(api_url).request("GET", "/prices/overrides")
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
@api_url_option
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
    api_url: str | None,
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
    row = make_client(api_url).request("POST", "/prices/overrides", body=body)
    render(row, output, OVERRIDE_COLUMNS)


@overrides.command("delete")
@click.option("--model", "-m", required=True, help="Model name the override was set for.")
@click.option("--provider", default=None, help="Provider it was set for, if any.")
@api_url_option
def overrides_delete(model: str, provider: str | None, api_url: str | None) -> None:
    """Remove MODEL's override: its calls are priced from the catalogue again.

    \b
    Example:
      agentops pricing overrides delete --model gpt-4o
    """
    query = {"model": model, "provider": provider}
    make_client(api_url).request("DELETE", "/prices/overrides", query=query)
    click.echo(f"Deleted the price override for {model}")


@pricing.command("unpriced")
@click.option(
    "--from", "start", default=None, help="Start (ISO 8601 with offset); default 30 days ago."
)
@click.option("--to", "end", default=None, help="End, exclusive; default now.")
@api_url_option
@output_option
def unpriced_command(start: str | None, end: str | None, api_url: str | None, output: str) -> None:
    """Models the org's calls used that have no price, with call counts: add a price for
    them with `agentops pricing overrides set`.

    \b
    Example:
      agentops pricing unpriced --from 2026-11-01T00:00:00Z
    """
    query = {"from": start, "to": end}
    data = make_client(api_url).request("GET", "/prices/unpriced", query=query)
    if output == "json":
        render(data, output)
        return
    render(data["items"], output, ("model", "provider", "calls", "first_seen", "last_seen"))


@pricing.command("reprice")
@click.option("--from", "start", required=True, help="Start (ISO 8601 with offset).")
@click.option("--to", "end", required=True, help="End, exclusive (ISO 8601 with offset).")
@click.option("--model", "-m", default=None, help="Only calls to this model.")
@click.option("--agent", default=None, help="Only calls of this agent.")
@click.option("--dry-run", is_flag=True, help="Show what would change; write nothing.")
@api_url_option
@output_option
def reprice_command(
    start: str,
    end: str,
    model: str | None,
    agent: str | None,
    dry_run: bool,
    api_url: str | None,
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
    data = make_client(api_url).request("POST", "/costs/reprice", body=body)
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
