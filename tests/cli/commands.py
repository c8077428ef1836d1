"""Every command of the CLI tree, walked as `agentops --help` lists them."""

from __future__ import annotations

import click

from cli.main import cli


def walk(command: click.Command = cli, path: str = "agentops") -> list[tuple[str, click.Command]]:
    """(path, command) for the group and everything under it, groups included."""
    found = [(path, command)]
    if isinstance(command, click.Group):
        ctx = click.Context(command)
        for name in command.list_commands(ctx):
            sub = command.get_command(ctx, name)
            assert sub is not None, f"{path} {name} does not load"
            found += walk(sub, f"{path} {name}")
    return found


def output_choices(command: click.Command) -> tuple[str, ...]:
    """The formats the command's ``-o`` takes (none: it has no ``-o``)."""
    for param in command.params:
        if isinstance(param, click.Option) and "-o" in param.opts:
            assert isinstance(param.type, click.Choice)
            return tuple(str(c) for c in param.type.choices)
    return ()
