"""`agentops admin bootstrap`: the first org, its owner, and optionally an agent key.

It runs the control plane in this process on a loopback port for the length of the command
(same database, same Redis, signup opened for it alone) and drives the real API, so the org,
its audit entries and the agent key reach the proxies exactly as if an admin had made them.
Idempotent: what exists is left as it is (an existing password is never changed), so a
Kubernetes Job or a compose service can run it on every deploy.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
from pathlib import Path
from typing import Any

import aiohttp
import click

from agentops.settings import Settings, load_settings
from cli._output import json_output_option, render
from control_plane.server import ControlPlaneServer

PASSWORD_ENV = "AGENTOPS_BOOTSTRAP_PASSWORD"


class BootstrapError(click.ClickException):
    """The existing state disagrees with what was asked (e.g. another owner password)."""


@click.group()
def admin() -> None:
    """Operator commands that run against the database, not a running API.

    \b
    Example:
      AGENTOPS_BOOTSTRAP_PASSWORD=… agentops admin bootstrap --org acme --email ops@acme.example
    """


@admin.command()
@click.option("--org", "org_slug", required=True, help="Org slug (created when missing).")
@click.option("--org-name", default=None, help="Display name of a new org (default: the slug).")
@click.option("--email", required=True, help="E-mail of the org's first owner.")
@click.option(
    "--password-stdin",
    is_flag=True,
    help=f"Read the owner's password from stdin (else env {PASSWORD_ENV}; never an argument).",
)
@click.option("--agent", default=None, help="Also register this agent and give it an ingest key.")
@click.option(
    "--key-file",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Write a newly created agent key to this file (mode 0600) instead of printing it.",
)
@json_output_option
def bootstrap(
    org_slug: str,
    org_name: str | None,
    email: str,
    password_stdin: bool,
    agent: str | None,
    key_file: Path | None,
    output: str,
) -> None:
    """Create the first org and its owner (idempotent), and optionally an agent with a key.

    Run `agentops migrate` first. The password comes from stdin (--password-stdin) or the
    environment, never from the command line, where any user of the host could read it.
    The agent key is shown once: on stdout (JSON), or in --key-file.

    \b
    Examples:
      AGENTOPS_BOOTSTRAP_PASSWORD=… agentops admin bootstrap --org acme --email ops@acme.example
      printf %s "$PW" | agentops admin bootstrap --org acme --email ops@acme.example \\
          --password-stdin --agent support-bot --key-file /run/secrets/agent-key
    """
    password = sys.stdin.readline().rstrip("\n") if password_stdin else os.getenv(PASSWORD_ENV)
    if not password:
        raise click.UsageError(
            f"give the owner's password on stdin (--password-stdin) or in {PASSWORD_ENV}"
        )
    settings = load_settings()
    result = asyncio.run(
        _bootstrap(settings, org_slug, org_name or org_slug, email, password, agent)
    )
    key = result.pop("agent_key", None)
    if key is not None and key_file is not None:
        fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(key + "\n")
        result["agent_key_file"] = str(key_file)
    elif key is not None:
        result["agent_key"] = key
    render(result, output)


async def _bootstrap(
    settings: Settings, slug: str, name: str, email: str, password: str, agent: str | None
) -> dict[str, Any]:
    settings = settings.model_copy(deep=True)
    cp = settings.control_plane
    cp.host, cp.port, cp.run_worker = "127.0.0.1", 0, False
    cp.auth.open_signup = True  # for this loopback-only instance, for this command
    service = ControlPlaneServer(settings)
    await service.start()
    try:
        async with aiohttp.ClientSession(base_url=service.url) as http:
            return await _provision(http, slug, name, email, password, agent)
    finally:
        await service.stop()


async def _provision(
    http: aiohttp.ClientSession, slug: str, name: str, email: str, password: str, agent: str | None
) -> dict[str, Any]:
    signup = {"email": email, "password": password, "org_name": name, "org_slug": slug}
    status, answer = await _call(http, "POST", "/auth/signup", signup)
    created_org = status == 202
    if status not in (202, 409):
        raise BootstrapError(f"could not create org {slug}: {status} {answer}")
    status, tokens = await _call(
        http, "POST", "/auth/login", {"email": email, "password": password, "org": slug}
    )
    if status != 200:
        raise BootstrapError(
            f"org {slug} exists but {email} cannot sign in to it with this password "
            "(bootstrap never changes an existing owner or password)"
        )
    result: dict[str, Any] = {"org": slug, "org_created": created_org, "owner": email}
    if agent is not None:
        result |= await _agent_key(http, tokens["access_token"], agent)
    return result


async def _agent_key(http: aiohttp.ClientSession, token: str, agent: str) -> dict[str, Any]:
    status, created = await _call(http, "POST", "/agents", {"name": agent}, token)
    if status == 201:
        agent_id = created["id"]
    else:
        found = await _call(http, "GET", f"/agents?name_prefix={agent}&limit=200", None, token)
        agent_id = next(a["id"] for a in found[1]["items"] if a["name"] == agent)
    key_name = f"{agent}-bootstrap"
    _, page = await _call(http, "GET", "/api-keys?limit=200", None, token)
    if any(k["name"] == key_name and k["agent_id"] == agent_id for k in page["items"]):
        return {"agent": agent, "agent_key_created": False}
    body = {"name": key_name, "scopes": ["ingest"], "agent_id": agent_id}
    status, key = await _call(http, "POST", "/api-keys", body, token)
    if status != 201:
        raise BootstrapError(f"could not create the agent key: {status} {key}")
    return {"agent": agent, "agent_key_created": True, "agent_key": key["key"]}


async def _call(
    http: aiohttp.ClientSession, method: str, path: str, body: Any, token: str | None = None
) -> tuple[int, Any]:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    async with http.request(method, "/api/v1" + path, json=body, headers=headers) as response:
        text = await response.text()
        return response.status, json.loads(text) if text else None
