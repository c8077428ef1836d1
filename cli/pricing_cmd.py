"""`agentops pricing ...`: inspect the price table, estimate a call, import new prices."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

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
    """Model prices: show, list, estimate, import."""


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
