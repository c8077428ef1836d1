"""The ``agentops`` group: it only wires the commands together, one command per module.

Commands load lazily so ``agentops --help`` and small commands do not import mitmproxy or
SQLAlchemy.
"""

from __future__ import annotations

import importlib

import click

from agentops import __version__

# name -> "module:attribute"; the order here is the order of `agentops --help`.
COMMANDS: dict[str, str] = {
    "up": "cli.up_cmd:up",
    "proxy": "cli.proxy_cmd:proxy",
    "serve": "cli.serve_cmd:serve",
    "migrate": "cli.migrate_cmd:migrate",
    "admin": "cli.admin_cmd:admin",
    "ca": "cli.ca_cmd:ca",
    "run": "cli.run_cmd:run",
    "capture": "cli.capture_cmd:capture",
    "injector": "cli.injector_cmd:injector",
    "login": "cli.login_cmd:login",
    "kill": "cli.emergency_cmd:kill",
    "pause": "cli.emergency_cmd:pause",
    "resume": "cli.emergency_cmd:resume",
    "status": "cli.emergency_cmd:status",
    "dead-letters": "cli.dead_letters_cmd:dead_letters",
    "agents": "cli.agents_cmd:agents",
    "runs": "cli.runs_cmd:runs",
    "costs": "cli.costs_cmd:costs",
    "budgets": "cli.budgets_cmd:budgets",
    "policies": "cli.policies_cmd:policies",
    "approvals": "cli.approvals_cmd:approvals",
    "alerts": "cli.alerts_cmd:alerts",
    "keys": "cli.keys_cmd:keys",
    "members": "cli.members_cmd:members",
    "teams": "cli.teams_cmd:teams",
    "pricing": "cli.pricing_cmd:pricing",
    "config": "cli.config_cmd:config",
}

# Subcommands that live in another module than their group (one command per module).
SUBCOMMANDS: dict[str, tuple[str, ...]] = {
    "costs": ("cli.reports_cmd:report", "cli.reconcile_cmd:reconcile"),
}


class LazyGroup(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return list(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        target = COMMANDS.get(cmd_name)
        if target is None:
            return None
        command = _load(target)
        if isinstance(command, click.Group):
            for extra in SUBCOMMANDS.get(cmd_name, ()):
                sub = _load(extra)
                command.add_command(sub, sub.name)
        return command


def _load(target: str) -> click.Command:
    module_name, _, attr = target.partition(":")
    command = getattr(importlib.import_module(module_name), attr)
    if not isinstance(command, click.Command):
        raise TypeError(f"{target} is not a click command")
    return command


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="agentops")
def cli() -> None:
    """AgentOps Hub: visibility, cost control and governance for your AI agents' LLM calls.

    \b
    Examples:
      agentops up                       # everything on this laptop, embedded defaults
      agentops proxy                    # the sidecar proxy alone
      agentops pricing estimate --model gpt-4o --input 1000 --output 200
    """


def main() -> None:
    cli(prog_name="agentops")
