"""References that cannot drift: configuration and CLI help are checked against the code."""

from __future__ import annotations

from pathlib import Path

import click
import pytest

from agentops.settings_doc import iter_settings, render
from cli.main import COMMANDS, cli
from tests.cli.commands import walk

ROOT = Path(__file__).resolve().parents[2]


def test_configuration_reference_is_generated_from_the_settings_model() -> None:
    documented = (ROOT / "docs" / "configuration.md").read_text()
    assert documented == render(), "run: agentops config docs > docs/configuration.md"


@pytest.mark.parametrize(("env", "field"), list(iter_settings()))
def test_every_setting_has_a_description(env: str, field: object) -> None:
    assert getattr(field, "description", None), f"{env} has no description"


@pytest.mark.parametrize(("path", "command"), walk())
def test_every_command_has_help_with_an_example(path: str, command: click.Command) -> None:
    help_text = command.help or ""
    assert help_text.strip(), f"{path} has no help text"
    if not isinstance(command, click.Group) or path == "agentops":
        assert "example" in help_text.lower(), f"{path} help shows no example"


def test_every_registered_command_module_exists() -> None:
    ctx = click.Context(cli)
    for name in COMMANDS:
        assert cli.get_command(ctx, name) is not None
