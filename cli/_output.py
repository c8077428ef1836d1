"""Table or JSON rendering shared by every CLI command.

Every command that shows something takes ``-o table|json``. JSON is the API's own answer
(documented in docs/cli.md), indented, keys in the API's order. Tables are aligned text; on a
terminal their header is bold and statuses are coloured, piped output is plain, and
``NO_COLOR`` (https://no-color.org) turns colours off everywhere.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

import click

FC = TypeVar("FC", bound=Callable[..., Any])


def _output_option(default: str) -> Callable[[FC], FC]:
    return click.option(
        "--output",
        "-o",
        type=click.Choice(["table", "json"]),
        default=default,
        show_default=True,
        help="Output format (json: the API's answer, see docs/cli.md).",
    )


output_option = _output_option("table")
# For commands read mostly by scripts (`config show`, `admin bootstrap`): JSON unless asked.
json_output_option = _output_option("json")

# A status word and the colour it is shown in on a terminal.
STATUS_COLOURS = {
    "active": "green",
    "applied": "green",
    "resumed": "green",
    "paused": "yellow",
    "pending": "yellow",
    "partial": "yellow",
    "killed": "red",
    "unpriced": "red",
    "revoked": "red",
    "failed": "red",
    "denied": "red",
}


def use_colour() -> bool:
    """Colours only on a terminal, never with NO_COLOR set to a non-empty value."""
    # NO_COLOR is the no-color.org convention every terminal tool reads, not our configuration.
    return not os.environ.get("NO_COLOR") and sys.stdout.isatty()  # noqa: TID251


def echo(text: str = "", *, err: bool = False) -> None:
    """``click.echo`` with the styles kept only where colours are wanted."""
    click.echo(text, err=err, color=use_colour())


def styled(text: str, **styles: Any) -> str:
    return click.style(text, **styles) if use_colour() else text


def echo_json(data: Any) -> None:
    click.echo(json.dumps(data, indent=2, default=str))


def render_page(page: Any, output: str, columns: Sequence[str] | None = None) -> None:
    """A list endpoint's page: all of it as JSON (with its cursor), its items as a table."""
    render(page if output == "json" else page["items"], output, columns)


def given(**fields: Any) -> dict[str, Any]:
    """The fields that were given (not None): a PATCH body changes only those."""
    return {key: value for key, value in fields.items() if value is not None}


def render(data: Any, output: str, columns: Sequence[str] | None = None) -> None:
    """Print ``data`` (a dict or a list of dicts) as JSON or as an aligned table."""
    if output == "json":
        echo_json(data)
        return
    rows = data if isinstance(data, list) else [data]
    if not rows:
        click.echo("(none)")
        return
    cols = list(columns or rows[0].keys())
    table([[_cell(row.get(col)) for col in cols] for row in rows], cols)


def table(cells: list[list[str]], header: Sequence[str]) -> None:
    """Aligned columns under an upper-case header; colours applied after padding."""
    widths = [max(len(h), *(len(r[i]) for r in cells)) for i, h in enumerate(header)]
    echo(styled(_line([h.upper() for h in header], widths), bold=True))
    for row in cells:
        echo(_line([_colour(v, w) for v, w in zip(row, widths, strict=True)], None))


def _line(values: list[str], widths: list[int] | None) -> str:
    if widths is not None:
        values = [v.ljust(w) for v, w in zip(values, widths, strict=True)]
    return "  ".join(values).rstrip()


def _colour(value: str, width: int) -> str:
    padded = value.ljust(width)
    colour = STATUS_COLOURS.get(value)
    return padded if colour is None else styled(value, fg=colour) + padded[len(value) :]


def _cell(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, dict | list):
        return json.dumps(value, separators=(",", ":"))
    return str(value)
