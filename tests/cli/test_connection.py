"""Which control plane and which token a command uses, against the real API.

A flag beats its environment variable, which beats the login file; a token alone works with no
login file (the emergency commands from CI); a refused token, an expired login and an
unreachable control plane are each one line on stderr and exit 1, never a traceback.
"""

from __future__ import annotations

import json
import socket
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import click
import jwt
import pytest
import requests
from click.testing import CliRunner, Result

from cli._client import config_path
from cli.main import cli
from control_plane.auth.tokens import issue_access_token
from tests.cli.commands import walk
from tests.factories import invoke

PASSWORD = "correct horse"


def sign_up(url: str, slug: str) -> dict[str, str]:
    """A new org's owner: its sign-in answer (access and refresh token)."""
    owner = {"email": f"owner@{slug}.example", "password": PASSWORD}
    body = {**owner, "org_name": slug, "org_slug": slug}
    assert requests.post(f"{url}/api/v1/auth/signup", json=body, timeout=10).status_code == 202
    answer = requests.post(f"{url}/api/v1/auth/login", json=owner, timeout=10)
    assert answer.status_code == 200, answer.text
    tokens: dict[str, str] = answer.json()
    return tokens


def login(url: str, slug: str) -> None:
    invoke(cli, ["login", "--email", f"owner@{slug}.example", "--api-url", url], PASSWORD)


def run(*args: str, env: dict[str, str] | None = None) -> Result:
    # catch_exceptions=False: anything but a clean click error fails the test with its traceback
    return CliRunner().invoke(cli, list(args), env=env, catch_exceptions=False)


def org_of(*args: str, env: dict[str, str] | None = None) -> str:
    """The org whose token `agentops status` used."""
    result = run("status", "-o", "json", *args, env=env)
    assert result.exit_code == 0, result.output
    org: str = json.loads(result.stdout)["org"]
    return org


def closed_port_url() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{sock.getsockname()[1]}"


def test_the_token_flag_beats_the_variable_which_beats_the_login_file(
    running_url: str, cli_home: Path
) -> None:
    sign_up(running_url, "file-org")
    from_env = sign_up(running_url, "env-org")["access_token"]
    from_flag = sign_up(running_url, "flag-org")["access_token"]
    login(running_url, "file-org")

    assert org_of() == "file-org"
    assert org_of(env={"AGENTOPS_TOKEN": from_env}) == "env-org"
    assert org_of("--token", from_flag, env={"AGENTOPS_TOKEN": from_env}) == "flag-org"


def test_the_url_flag_beats_the_variables_which_beat_the_login_file(
    running_url: str, cli_home: Path
) -> None:
    sign_up(running_url, "urls")
    login(running_url, "urls")
    nowhere = closed_port_url()

    for variable in ("AGENTOPS_API_URL", "AGENTOPS_URL"):  # AGENTOPS_URL: the older name
        refused = run("agents", "list", env={variable: nowhere})
        assert refused.exit_code == 1
        assert f"cannot reach the control plane at {nowhere}" in refused.stderr
        assert org_of("--api-url", running_url, env={variable: nowhere}) == "urls"
    assert org_of("--url", running_url, env={"AGENTOPS_API_URL": nowhere}) == "urls"


def test_a_token_alone_needs_no_login_file(running_url: str, cli_home: Path) -> None:
    token = sign_up(running_url, "pager")["access_token"]
    env = {"AGENTOPS_API_URL": running_url, "AGENTOPS_TOKEN": token}

    killed = run("kill", "--all", "--reason", "from the pager", "-o", "json", env=env)
    assert killed.exit_code == 0, killed.output
    assert org_of(env=env) == "pager"
    for command in (["approvals", "list"], ["agents", "list"], ["runs", "list"]):
        assert run(*command, "-o", "json", env=env).exit_code == 0
    assert not config_path().exists()

    # Given both, nothing on the machine is read: a broken login file or settings do not matter.
    config_path().parent.mkdir(parents=True)
    config_path().write_text("{not json")
    broken = {**env, "AGENTOPS_PROXY__LISTEN_PORT": "not-a-port"}
    resumed = run("resume", "--all", "-o", "json", env=broken)
    assert resumed.exit_code == 0, resumed.output
    assert org_of(env=broken) == "pager"


@pytest.mark.parametrize("token", ["not-a-token", "aoh_nope_nope", "a.b.c"])
def test_a_malformed_token_is_refused_in_one_line(
    running_url: str, cli_home: Path, token: str
) -> None:
    result = run("status", "--api-url", running_url, "--token", token)
    assert result.exit_code == 1
    assert result.stdout == ""
    [line] = result.stderr.splitlines()
    assert line.startswith(f"Error: the control plane at {running_url} refused the token (401 ")


@pytest.mark.parametrize(
    "command", [["status"], ["kill", "--all", "--reason", "x"], ["agents", "list"]]
)
def test_an_unreachable_control_plane_is_one_line(cli_home: Path, command: list[str]) -> None:
    nowhere = closed_port_url()
    result = run(*command, "--api-url", nowhere, "--token", "t0ken")
    assert result.exit_code == 1
    [line] = result.stderr.splitlines()
    assert line.startswith(f"Error: cannot reach the control plane at {nowhere}: ")
    not_a_url = run(*command, "--api-url", "localhost:8000", "--token", "t0ken")
    assert not_a_url.exit_code == 1
    assert "not a control plane URL: 'localhost:8000'" in not_a_url.stderr


def test_no_login_and_no_token_says_how_to_sign_in(running_url: str, cli_home: Path) -> None:
    for command in (["status"], ["approvals", "list"], ["teams", "list"]):
        result = run(*command, "--api-url", running_url)
        assert result.exit_code == 1
        assert result.stderr == (
            "Error: not signed in: run `agentops login`, or give --token (env AGENTOPS_TOKEN)\n"
        )
    config_path().parent.mkdir(parents=True)
    config_path().write_text("{not json")
    unreadable = run("status", "--api-url", running_url)
    assert unreadable.exit_code == 1
    assert f"cannot read the login file {config_path()}" in unreadable.stderr


def expired(access_token: str) -> str:
    """The same login's access token, expired an hour ago (signed with the test server's key)."""
    claims = jwt.decode(access_token, options={"verify_signature": False})
    token, _ = issue_access_token(
        "dev-insecure-change-me",  # the running_url server's default secret_key
        user_id=uuid.UUID(claims["sub"]),
        org_id=uuid.UUID(claims["org"]),
        session_id=uuid.UUID(claims["sid"]),
        ttl_seconds=60,
        now=datetime.now(UTC) - timedelta(hours=1),
    )
    return token


def test_an_expired_login_is_renewed_once_then_refused_when_the_login_ended(
    running_url: str, cli_home: Path
) -> None:
    sign_up(running_url, "expiring")
    login(running_url, "expiring")
    saved = json.loads(config_path().read_text())
    config_path().write_text(json.dumps({**saved, "token": expired(saved["token"])}))

    assert org_of() == "expiring"  # renewed with the refresh token, and saved
    renewed = json.loads(config_path().read_text())
    assert renewed["refresh_token"] != saved["refresh_token"]

    ended = requests.post(f"{running_url}/api/v1/auth/logout", timeout=10,
                          json={"refresh_token": renewed["refresh_token"]},
                          headers={"Authorization": f"Bearer {renewed['token']}"})  # fmt: skip
    assert ended.ok, ended.text
    config_path().write_text(json.dumps({**renewed, "token": expired(renewed["token"])}))
    result = run("status")
    assert result.exit_code == 1
    [line] = result.stderr.splitlines()
    assert line.startswith("Error: the saved login was refused (401 ")
    assert line.endswith("it has expired or was revoked; run `agentops login` again")


# Commands that do not call the API as the user: they run servers, work on this machine's
# files and price table, or reach the database or control plane with the deployment's settings.
NOT_THE_API = {
    "agentops up", "agentops proxy", "agentops serve", "agentops migrate", "agentops injector",
    "agentops admin bootstrap", "agentops ca env", "agentops ca export", "agentops run",
    "agentops capture clear", "agentops capture init", "agentops dead-letters list",
    "agentops dead-letters replay", "agentops pricing estimate", "agentops pricing import",
    "agentops pricing list", "agentops pricing show", "agentops config docs",
    "agentops config new-secrets-key", "agentops config show",
}  # fmt: skip
# Commands that sign in: the credential is what they are given (a password, an API key, an
# invitation token), so they take --api-url but no --token.
SIGN_IN = {"agentops login", "agentops members accept"}


def test_every_api_command_takes_the_same_connection_options() -> None:
    for path, command in walk():
        if isinstance(command, click.Group) or path in NOT_THE_API:
            continue
        options = {o.name: o for o in command.params if isinstance(o, click.Option)}
        assert "api_url" in options, f"{path} takes no --api-url"
        assert options["api_url"].opts == ["--api-url"], path
        assert options["api_url"].envvar == ["AGENTOPS_API_URL", "AGENTOPS_URL"], path
        token = options.get("token")
        if path in SIGN_IN:
            assert token is None or token.envvar is None, f"{path} reads AGENTOPS_TOKEN"
            continue
        assert token is not None, f"{path} takes no --token"
        assert token.envvar == "AGENTOPS_TOKEN", path
