"""``agentops kill | pause | resume | status``: the emergency controls, thin over the API.

The control plane and the credential are those saved by ``agentops login``, unless
``--api-url`` (``AGENTOPS_API_URL``) and ``--token`` (``AGENTOPS_TOKEN``: an access token, or an
API key with the admin scope; read scope is enough for ``status``) say otherwise: with a token
given no login file is needed (see cli/_connection.py).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import click

from cli._connection import Connection, connection_options, url_alias
from cli._output import STATUS_COLOURS, echo, echo_json, output_option, styled


@dataclass(frozen=True)
class Target:
    """What a kill, pause or resume applies to: exactly one of the target options."""

    all_: bool
    team: str | None
    agent: str | None
    tag: str | None
    environment: str | None
    key: str | None

    def scope(self) -> dict[str, Any]:
        return scope_body(self.all_, self.team, self.agent, self.tag, self.environment, self.key)


def target_options(func: Callable[..., None]) -> Callable[..., None]:
    """The target options, handed to the command as one ``target: Target`` argument."""

    @functools.wraps(func)
    def command(
        *args: Any,
        all_: bool,
        team: str | None,
        agent: str | None,
        tag: str | None,
        environment: str | None,
        key: str | None,
        **kwargs: Any,
    ) -> None:
        func(*args, target=Target(all_, team, agent, tag, environment, key), **kwargs)

    for name, help_text in reversed(
        [
            ("--all", "The whole org (everything its agents call)."),
            ("--team", "A team, by name: every agent of the team."),
            ("--agent", "One agent, by name."),
            ("--tag", "Every registered agent with this tag (KEY or KEY=VALUE), resolved now."),
            ("--environment", "Every registered agent in this environment, resolved now."),
            (
                "--key",
                "An API key, by id or prefix (aoh_<public id>): every agent name used with it.",
            ),
        ]
    ):
        if name == "--all":
            command = click.option("--all", "all_", is_flag=True, help=help_text)(command)
        else:
            metavar = "KEY" if name == "--key" else "NAME"
            command = click.option(name, metavar=metavar, help=help_text)(command)
    return command


def scope_body(
    all_: bool,
    team: str | None,
    agent: str | None,
    tag: str | None,
    environment: str | None,
    key: str | None = None,
) -> dict[str, Any]:
    """The API's scope fields for exactly one of the target options."""
    chosen = [
        body
        for given, body in (
            (all_, {"scope": "org"}),
            (team, {"scope": "team", "target": team}),
            (agent, {"scope": "agent", "target": agent}),
            (tag, {"scope": "agents", "selector": {"tag": tag}}),
            (environment, {"scope": "agents", "selector": {"environment": environment}}),
            (key, {"scope": "key", "target": key}),
        )
        if given
    ]
    if len(chosen) != 1:
        raise click.UsageError(
            "give exactly one of --all, --team, --agent, --tag, --environment, --key"
        )
    return chosen[0]


def _act(
    action: str,
    api: Connection,
    scope: dict[str, Any],
    reason: str | None,
    output: str,
) -> None:
    body = {**scope, **({"reason": reason} if reason is not None else {})}
    result = api.request("POST", f"/emergency/{action}", body)
    if output == "json":
        echo_json(result)
        return
    done = {"kill": "killed", "pause": "paused", "resume": "resumed"}[action]
    for rule in result["rules"]:
        echo(f"{styled(done, fg=STATUS_COLOURS[done])} {rule['scope']} {rule['target']} "
             f"(reference {rule['reference']})")  # fmt: skip
    for name in result["agents"]:
        click.echo(f"agent {name}: registry status {'active' if action == 'resume' else done}")
    click.echo(f"control state version {result['version']}")


def blocking_options(func: Callable[..., None]) -> Callable[..., None]:
    """``kill`` and ``pause``: a target, a reason, and whether to register an unknown agent."""
    for option in (
        output_option,
        connection_options,
        url_alias,
        click.option(
            "--create",
            is_flag=True,
            help="With --agent: register the name first if no agent has it (block it before "
            "its first call). Without it, an unknown agent is an error listing close names.",
        ),
        click.option("--reason", required=True, help="Shown to the agent in every refusal."),
        target_options,
    ):
        func = option(func)
    return func


def _create(create: bool, agent: str | None) -> dict[str, Any]:
    if create and agent is None:
        raise click.UsageError("--create goes with --agent")
    return {"create": True} if create else {}


@click.command("kill")
@blocking_options
def kill(target: Target, create: bool, reason: str, api: Connection, output: str) -> None:
    """Kill: refuse every new call and cut live streams at once.

    \b
    Examples:
      agentops kill --agent scraper --reason "runaway loop, INC-42"
      agentops kill --all --reason "provider key leaked"
      agentops kill --tag pii --reason "data review"
      agentops kill --key aoh_k3y1d2x9q0ab --reason "key leaked"
      agentops kill --agent not-yet-seen --create --reason "never let it run"
    """
    _act("kill", api, target.scope() | _create(create, target.agent), reason, output)


@click.command("pause")
@blocking_options
def pause(target: Target, create: bool, reason: str, api: Connection, output: str) -> None:
    """Pause: refuse new calls, let calls in flight finish.

    \b
    Examples:
      agentops pause --team research --reason "budget review"
      agentops pause --environment staging --reason "deploy freeze"
      agentops pause --key aoh_k3y1d2x9q0ab --reason "who is using this key?"
    """
    _act("pause", api, target.scope() | _create(create, target.agent), reason, output)


@click.command("resume")
@target_options
@click.option("--reason", default=None, help="Kept in the audit log.")
@connection_options
@url_alias
@output_option
def resume(target: Target, reason: str | None, api: Connection, output: str) -> None:
    """Lift a kill or pause at the same scope (and set agents active again).

    \b
    Examples:
      agentops resume --agent scraper
      agentops resume --all --reason "incident closed"
      agentops resume --key aoh_k3y1d2x9q0ab
    """
    _act("resume", api, target.scope(), reason, output)


@click.command("status")
@click.option("--json", "as_json", is_flag=True, hidden=True, help="Deprecated: -o json.")
@connection_options
@url_alias
@output_option
def status(as_json: bool, api: Connection, output: str) -> None:
    """What is killed or paused, and which proxies hold the current control state.

    A proxy whose reported version is behind the org's is flagged NOT APPLIED: it may still
    be serving calls that a kill refuses elsewhere. A proxy whose control state is older than
    its staleness bound (cut off from Redis) is flagged STALE with the state's age.

    \b
    Examples:
      agentops status
      agentops status -o json
    """
    result = api.request("GET", "/emergency")
    if as_json or output == "json":
        echo_json(result)
        return
    click.echo(f"org {result['org']}  control state version {result['version']}")
    click.echo("in force:" if result["rules"] else "in force: nothing")
    for rule in result["rules"]:
        action = styled(f"{rule['action']:<5}", fg="red" if rule["action"] == "kill" else "yellow")
        echo(
            f"  {action} {rule['scope']:<5} {rule['target']}  "
            f"reason: {rule['reason']}  (reference {rule['reference']}, "
            f"by {rule['created_by'] or '?'}, {rule['created_at']})"
        )
    click.echo("proxies:" if result["proxies"] else "proxies: none reporting")
    for proxy in result["proxies"]:
        state = (
            styled("applied", fg="green")
            if proxy["applied"]
            else styled(f"NOT APPLIED (behind {result['version']})", fg="red", bold=True)
        )
        age = proxy.get("state_age_seconds")
        if proxy.get("stale"):
            state += "  " + styled(f"STALE (control state {age:.0f} s old)", fg="yellow")
        elif age is not None:
            state += f"  state age {age:.0f} s"
        echo(
            f"  {proxy['proxy_id']}  version {proxy['version']}  {state}  "
            f"last seen {proxy['seen_at']}"
        )
