"""The price table the offline `agentops pricing` commands read: the user's file, else the
bundled one; and how a price or a cost is shown."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from pricing import Cost, ModelPrice, PriceFormatError, PriceTable, import_table, load_bundled_table
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


def entry_dict(entry: ModelPrice) -> dict[str, Any]:
    from pricing._codec import model_to_dict

    return model_to_dict(entry)


def cost_dict(model: str, cost: Cost) -> dict[str, Any]:
    return {
        "model": model,
        "priced_model": cost.priced_model,
        "total_usd": text(cost.total_usd),
        "breakdown": {k: decimal_text(v) for k, v in cost.breakdown.items()},
        "service_tier": cost.service_tier,
        "price_version": cost.price_version,
        "unpriced_reason": cost.unpriced_reason,
    }


def echo_cost(model: str, cost: Cost) -> None:
    if cost.total_usd is None:
        click.echo(f"{model}: cost not known ({cost.unpriced_reason})")
        return
    click.echo(f"model      {cost.priced_model}  (tier {cost.service_tier})")
    for rate_class, amount in cost.breakdown.items():
        click.echo(f"  {rate_class:<16}{decimal_text(amount):>16}")
    click.echo(f"total USD  {decimal_text(cost.total_usd)}")
    click.echo(f"prices     {cost.price_version}")


def text(value: Any) -> str | None:
    return None if value is None else decimal_text(value)
