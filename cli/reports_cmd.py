"""`agentops costs report`: cost reports for finance (attach ``report`` to the costs group).

The report is fetched as JSON pages (a progress bar shows long exports) and rendered here, so
table and JSON carry exactly the API's figures; CSV and FOCUS are the API's own files.
"""

from __future__ import annotations

import json
import sys
from typing import Any

import click

from cli._client import ApiClient
from cli._connection import Connection, connection_options

PAGE = 1000
FORMATS = ("table", "csv", "json", "focus")


@click.command("report")
@click.option(
    "--from",
    "start",
    default=None,
    help="Start: a date (org's midnight) or ISO 8601 instant. Default: 30 days ago.",
)
@click.option("--to", "end", default=None, help="End (exclusive), same forms. Default: now.")
@click.option(
    "--by",
    default="model",
    show_default=True,
    help="Comma-separated grouping: org, team, agent, model, provider, day, week, month.",
)
@click.option(
    "--output",
    "-o",
    type=click.Choice(FORMATS),
    default="table",
    show_default=True,
    help="focus: FinOps FOCUS 1.2 CSV, one row per charge per SKU (UTC days; --by is ignored).",
)
@click.option(
    "--format", "legacy_format", type=click.Choice(FORMATS), default=None, hidden=True,
    help="Deprecated spelling of --output.",
)  # fmt: skip
@connection_options
def report(
    start: str | None,
    end: str | None,
    by: str,
    output: str,
    legacy_format: str | None,
    api: Connection,
) -> None:
    """Costs over a time range, grouped as asked; totals equal the sum of the calls.

    Unpriced calls are never counted as free: the table marks their lines and a warning line
    says how many calls (and tokens) the cost leaves out (on stderr for csv and focus, so the
    file stays clean).

    \b
    Examples:
      agentops costs report --from 2026-11-01 --to 2026-12-01 --by team,model
      agentops costs report --from 2026-11-01 -o focus > focus.csv
    """
    fmt = output
    if legacy_format is not None:
        click.echo("warning: --format is deprecated, use -o/--output", err=True)
        fmt = legacy_format
    query = {"from": start, "to": end, "by": by}
    client = api.client()
    if fmt in ("csv", "focus"):
        text, headers = client.request_text("/reports/costs", query | {"format": fmt})
        click.echo(text, nl=False)
        unpriced = int(headers.get("X-AgentOps-Unpriced-Calls", "0"))
        if unpriced:
            click.echo(f"warning: {unpriced} calls unpriced: their cost is not in this export "
                       "(`agentops pricing unpriced` lists the models)", err=True)  # fmt: skip
        return
    first, lines = _fetch(client, query)
    if fmt == "json":
        click.echo(json.dumps(first | {"lines": lines, "next_offset": None}, indent=2))
        return
    dims: list[str] = first["group_by"]
    header = [*dims, "calls", "unpriced_calls", "input_tokens", "output_tokens", "cost_usd"]
    rows_out = [[*(item["keys"][d] for d in dims), *_measures(item)] for item in lines]
    rows_out.append(["TOTAL", *[""] * (len(dims) - 1), *_measures(first["totals"])])
    _table(header, rows_out)
    if first.get("warning"):
        click.echo(f"warning: {first['warning']}")


def _measures(item: dict[str, Any]) -> list[Any]:
    """A line's figures; the cost of a line with unpriced calls says so instead of looking free."""
    cost = item["cost_usd"]
    status = item.get("pricing_status", "priced")
    if status == "unpriced":
        cost = "unpriced"
    elif status == "partial":
        cost = f"{cost} + unpriced"
    return [
        item["calls"],
        item["unpriced_calls"],
        item["input_tokens"],
        item["output_tokens"],
        cost,
    ]


def _fetch(client: ApiClient, query: dict[str, Any]) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    first = client.request("GET", "/reports/costs", query=query | {"limit": PAGE})
    lines = list(first["lines"])
    offset = first["next_offset"]
    if offset is None:
        return first, lines
    pages: int = -(-int(first["line_count"]) // PAGE)
    # On stderr, so `-o csv > file` stays a clean file.
    with click.progressbar(range(pages), label="Fetching report", file=sys.stderr) as bar:
        bar.update(1)
        while offset is not None:
            page = client.request(
                "GET", "/reports/costs", query=query | {"limit": PAGE, "offset": offset}
            )
            lines += page["lines"]
            offset = page["next_offset"]
            bar.update(1)
    return first, lines


def _table(header: list[str], rows: list[list[Any]]) -> None:
    cells = [[str(v) for v in row] for row in rows]
    widths = [max(len(h), *(len(r[i]) for r in cells)) for i, h in enumerate(header)]
    click.echo("  ".join(h.upper().ljust(w) for h, w in zip(header, widths, strict=True)).rstrip())
    for row in cells:
        click.echo("  ".join(v.ljust(w) for v, w in zip(row, widths, strict=True)).rstrip())
