"""`agentops pricing import | show | list`: the price table on this machine, offline."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from cli._price_table import entry_dict, format_option, load_table, prices_file_option, text
from pricing import PriceFormatError, import_table


@click.command("import")
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


@click.command("show")
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
    data.update(entry_dict(entry))
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


@click.command("list")
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
                "input": text(base.input),
                "output": text(base.output),
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
