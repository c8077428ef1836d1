"""`agentops login`: sign in with e-mail/password or an API key, and remember the token."""

from __future__ import annotations

import json
from pathlib import Path

import click

from agentops.settings import load_settings
from cli._client import config_path, save_config
from cli._connection import Connection, api_url_option, password_option, save_login
from cli._output import echo, echo_json, output_option, styled


@click.command()
@click.option("--email", default=None, help="Account e-mail (prompted when omitted).")
@password_option("Password")
@click.option("--org", default=None, help="Org slug, when the account belongs to several orgs.")
@click.option(
    "--api-key", default=None, help="Log in with an API key (aoh_…) instead of a password."
)
@api_url_option
@output_option
def login(
    email: str | None,
    password: str | None,
    org: str | None,
    api_key: str | None,
    api: Connection,
    output: str,
) -> None:
    """Sign in to the control plane, say who you are signed in as, and store the token in
    your config directory (~/.config/agentops/cli.json on Linux, mode 0600).

    With no e-mail and no key, next to `agentops up` it signs in as the embedded admin whose
    credentials `up` wrote to <home>/embedded-admin.json.

    \b
    Examples:
      agentops login                      # after `agentops up`, on the same machine
      agentops login --email ada@example.com
      agentops login --api-key aoh_abc123def456_… --api-url https://agentops.example.com
    """
    settings = load_settings()
    embedded = _embedded_admin(settings.home / "embedded-admin.json")
    if email is None and api_key is None and embedded is not None:
        email, password = embedded["email"], embedded["password"]
        api = Connection(api.api_url or embedded.get("api_url"))
    client = api.client(authenticated=False)
    if api_key is not None:
        client.token = api_key
        org_profile = client.request("GET", "/orgs/profile")
        path = save_config({"api_url": client.base_url, "token": api_key, "kind": "api_key"})
        # aoh_<public id>_<secret>: the public part names the key, the secret is never shown
        who = {"key": "_".join(api_key.split("_")[:2]), "org": org_profile["slug"]}
        result = {**who, "kind": "api_key"}
    else:
        email = email or click.prompt("E-mail", err=True)
        password = password or click.prompt("Password", hide_input=True, err=True)
        tokens = client.request(
            "POST", "/auth/login", {"email": email, "password": password, "org": org}
        )
        save_login(client.base_url, tokens)
        path = config_path()
        result = {"email": email, "org": tokens["org_slug"], "kind": "user", "role": tokens["role"]}
    result |= {"api_url": client.base_url, "config": str(path)}
    if output == "json":
        echo_json(result)
    else:
        echo(signed_in_line(result))
        echo(f"token saved in {path} (mode 0600)")


def signed_in_line(result: dict[str, str]) -> str:
    """Who the saved credential is, in one sentence."""
    where = f"org {styled(result['org'], bold=True)} at {result['api_url']}"
    if result["kind"] == "api_key":
        return f"signed in with API key {result['key']} to {where}"
    return f"signed in as {styled(result['email'], bold=True)} ({result['role']}) to {where}"


def _embedded_admin(path: Path) -> dict[str, str] | None:
    if not path.is_file():
        return None
    data: dict[str, str] = json.loads(path.read_text())
    return data
