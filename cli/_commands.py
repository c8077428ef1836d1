"""The command shapes every registry group repeats, written once: list a page, delete by name.

A group declares such a command with one call: its one-line summary and its example, which
make the help text every command has.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import click

from cli._connection import Connection, connection_options
from cli._output import output_option, render_page
from cli._resolve import Kind, object_path


def list_command(
    group: click.Group,
    path: str,
    columns: Sequence[str],
    summary: str,
    example: str,
    query: dict[str, Any] | None = None,
    filters: Sequence[Callable[[Any], Any]] = (),
    name: str = "list",
) -> click.Command:
    """``<group> list``: one page of ``GET path``, as a table of ``columns`` or as JSON.

    ``filters`` are the command's options, each sent as the query parameter of its name
    (next to the fixed ``query``)."""

    @connection_options
    @output_option
    def list_(api: Connection, output: str, **given: Any) -> None:
        page = api.request("GET", path, query={**(query or {}), **given})
        render_page(page, output, columns)

    for option in reversed(filters):
        list_ = option(list_)
    return group.command(name, help=_help(summary, example))(list_)


def delete_command(
    group: click.Group,
    kind: Kind,
    summary: str,
    example: str,
    *,
    verb: str = "delete",
    done: str = "deleted",
) -> click.Command:
    """``<group> <verb> NAME|ID``: DELETE the object named, by name or id, and say so."""

    @group.command(verb, help=_help(summary, example))
    @click.argument("value", metavar=kind.metavar)
    @connection_options
    def delete(value: str, api: Connection) -> None:
        client = api.client()
        client.request("DELETE", object_path(client, kind, value))
        click.echo(f"{done} {kind.noun} {value}")

    return delete


def _help(summary: str, example: str) -> str:
    return f"{summary}\n\n\b\nExample:\n  {example}"
