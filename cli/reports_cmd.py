"""`agentops costs report`: cost reports for finance (attach ``report`` to the costs group).

The report is fetched as JSON pages (a progress bar shows long exports) and rendered here, so
table, CSV, JSON and FOCUS all carry exactly the API's figures.
"""

from __future__ import annotations

import json
import sys
from decimal import Decimal
from typing import Any

import click

from cli._client import ApiClient, api_url_option, make_client
from control_plane.reports import FOCUS_COLUMNS, csv_text
from control_plane.reports.focus import FOCUS_GROUP_BY, focus_rows
from control_plane.reports.lines import Line

PAGE = 1000


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
    "--format",
    "fmt",
    type=click.Choice(["table", "csv", "json", "focus"]),
    default="table",
    show_default=True,
    help="focus: FinOps FOCUS 1.0 CSV.",
)
@api_url_option
def report(start: str | None, end: str | None, by: str, fmt: str, api_url: str | None) -> None:
    """Costs over a time range, grouped as asked; totals equal the sum of the calls.

    \b
    Examples:
      agentops costs report --from 2026-11-01 --to 2026-12-01 --by team,model
      agentops costs report --from 2026-11-01 --format focus > focus.csv
    """
    group_by = ",".join(FOCUS_GROUP_BY) if fmt == "focus" else by
    query = {"from": start, "to": end, "by": group_by}
    first, lines = _fetch(make_client(api_url), query)
    if fmt == "json":
        click.echo(json.dumps(first | {"lines": lines, "next_offset": None}, indent=2))
    elif fmt == "focus":
        rows = focus_rows([_line(item) for item in lines], first["org"])
        click.echo(csv_text(FOCUS_COLUMNS, ([r[c] for c in FOCUS_COLUMNS] for r in rows)), nl=False)
    else:
        dims: list[str] = first["group_by"]
        header = [*dims, "calls", "input_tokens", "output_tokens", "cost_usd"]
        rows_out = [[*(item["keys"][d] for d in dims), item["calls"], item["input_tokens"],
                     item["output_tokens"], item["cost_usd"]] for item in lines]  # fmt: skip
        totals = first["totals"]
        rows_out.append(["TOTAL", *[""] * (len(dims) - 1), totals["calls"],
                         totals["input_tokens"], totals["output_tokens"], totals["cost_usd"]])  # fmt: skip
        if fmt == "csv":
            click.echo(csv_text(header, rows_out[:-1]), nl=False)
        else:
            _table(header, rows_out)


def _fetch(client: ApiClient, query: dict[str, Any]) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    first = client.request("GET", "/reports/costs", query=query | {"limit": PAGE})
    lines = list(first["lines"])
    offset = first["next_offset"]
    if offset is None:
        return first, lines
    pages: int = -(-int(first["line_count"]) // PAGE)
    # On stderr, so `--format csv > file` stays a clean file.
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


def _line(item: dict[str, Any]) -> Line:
    return Line(
        keys=item["keys"],
        calls=item["calls"],
        unpriced_calls=item["unpriced_calls"],
        input_tokens=item["input_tokens"],
        output_tokens=item["output_tokens"],
        cost_usd=Decimal(item["cost_usd"]),
    )


def _table(header: list[str], rows: list[list[Any]]) -> None:
    cells = [[str(v) for v in row] for row in rows]
    widths = [max(len(h), *(len(r[i]) for r in cells)) for i, h in enumerate(header)]
    click.echo("  ".join(h.upper().ljust(w) for h, w in zip(header, widths, strict=True)).rstrip())
    for row in cells:
        click.echo("  ".join(v.ljust(w) for v, w in zip(row, widths, strict=True)).rstrip())
