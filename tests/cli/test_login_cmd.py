"""The CLI drives the real API: login stores a 0600 token, commands render table or JSON."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest
import requests
from click.testing import CliRunner

from cli._client import config_path
from cli.agents_cmd import agents
from cli.keys_cmd import keys
from cli.login_cmd import login
from cli.members_cmd import members
from cli.migrate_cmd import migrate
from cli.teams_cmd import teams
from tests.factories import invoke as _invoke


def test_login_then_manage_the_registry(running_url: str, cli_home: Path) -> None:
    body = {
        "email": "cli@example.com",
        "password": "correct horse",
        "org_name": "CLI",
        "org_slug": "cli",
    }
    assert (
        requests.post(f"{running_url}/api/v1/auth/signup", json=body, timeout=10).status_code == 202
    )
    out = _invoke(
        login,
        ["--email", "cli@example.com", "--api-url", running_url, "-o", "json"],
        input="correct horse\n",
    )
    assert json.loads(out)["role"] == "owner"
    config = config_path()
    assert config.parent.name == "agentops"  # the user's config dir, not the data home
    assert stat.S_IMODE(config.stat().st_mode) == 0o600
    assert not (cli_home / "cli.json").exists()
    _invoke(teams, ["create", "payments"])
    created = json.loads(
        _invoke(
            agents, ["create", "refund-bot", "--team", "payments", "--tag", "tier=1", "-o", "json"]
        )
    )
    table = _invoke(agents, ["list"])
    assert table.splitlines()[0].split() == [
        "ID",
        "NAME",
        "TEAM",
        "PROVIDER",
        "ENVIRONMENT",
        "STATUS",
    ]
    assert "refund-bot" in table
    _invoke(agents, ["update", created["id"], "--status", "paused"])
    assert json.loads(_invoke(agents, ["show", created["id"], "-o", "json"]))["status"] == "paused"
    key = json.loads(_invoke(keys, ["create", "ci", "--scope", "read", "-o", "json"]))
    assert key["key"].startswith("aoh_")
    _invoke(keys, ["revoke", key["id"]])
    assert json.loads(_invoke(keys, ["list", "-o", "json"]))["items"] == []
    assert "cli@example.com" in _invoke(members, ["list"])
    _invoke(agents, ["delete", created["id"]])


def test_api_errors_are_reported_not_raised(running_url: str, cli_home: Path) -> None:
    result = CliRunner().invoke(agents, ["list", "--api-url", running_url])
    assert result.exit_code == 1
    assert "agentops login" in result.output


def test_migrate_brings_an_empty_sqlite_database_to_head(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'x.db'}"
    assert "up to date" in _invoke(migrate, ["--database-url", url])


@pytest.mark.parametrize("command", [login, agents, keys, members, teams, migrate])
def test_every_command_has_help_with_an_example(command: object) -> None:
    import click

    assert isinstance(command, click.Command)
    commands = [command, *getattr(command, "commands", {}).values()]
    for cmd in commands:
        assert "Example" in (cmd.help or ""), cmd.name


def test_an_invitee_accepts_from_the_cli_without_the_password_in_argv(
    running_url: str, cli_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    body = {"email": "own@example.com", "password": "correct horse", "org_name": "O"}
    assert requests.post(f"{running_url}/api/v1/auth/signup", json=body, timeout=10).ok
    _invoke(login, ["--email", "own@example.com", "--api-url", running_url], "correct horse\n")
    invited = json.loads(_invoke(members, ["invite", "new@example.com", "-o", "json"]))
    monkeypatch.setenv("AGENTOPS_PASSWORD", "new person's pass")
    accepted = json.loads(
        _invoke(members, ["accept", "--token", invited["invite_token"], "-o", "json"])
    )
    assert accepted["role"] == "member"
    again = CliRunner().invoke(members, ["accept", "--token", invited["invite_token"]])
    assert again.exit_code != 0
    assert "account_token_used" in again.output
    logged_in = requests.post(
        f"{running_url}/api/v1/auth/login",
        json={"email": "new@example.com", "password": "new person's pass"},
        timeout=10,
    )
    assert logged_in.status_code == 200
