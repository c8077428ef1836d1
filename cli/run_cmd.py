"""``agentops run -- COMMAND``: run any agent with its calls metered, whatever its runtime."""

from __future__ import annotations

import os
import shutil

import click

from agentops.settings import load_settings
from cli._agent_env import environment_for


@click.command(
    "run", context_settings={"ignore_unknown_options": True, "allow_interspersed_args": False}
)
@click.option("--agent", default=None, help="Agent name the calls are attributed to.")
@click.option(
    "--key",
    default=None,
    envvar="AGENTOPS_AGENT_KEY",
    help="The agent's AgentOps API key (a proxy with require_credentials needs one). "
    "Default: $AGENTOPS_AGENT_KEY.",
)
@click.option("--run", "run_id", default=None, help="Run id the calls are grouped under.")
@click.argument("command", nargs=-1, required=True, type=click.UNPROCESSED)
def run(agent: str | None, key: str | None, run_id: str | None, command: tuple[str, ...]) -> None:
    """Run COMMAND with its LLM calls going through the proxy, trusted and attributed.

    Sets HTTPS_PROXY/HTTP_PROXY/NO_PROXY (with credentials every client sends), the CA bundle
    for Python, curl, AWS SDKs and Go (SSL_CERT_FILE, REQUESTS_CA_BUNDLE, CURL_CA_BUNDLE,
    AWS_CA_BUNDLE), and for Node NODE_EXTRA_CA_CERTS, NODE_USE_ENV_PROXY and a preload that
    routes fetch through the proxy on Node versions that ignore HTTPS_PROXY. The proxy's
    address comes from the running `agentops up`/`agentops proxy` on this AGENTOPS_HOME.

    \b
    Examples:
      agentops run --agent researcher -- python agent.py
      agentops run --agent triage --run ticket-4711 -- node agent.mjs
      agentops run --agent nightly --key aoh_xxx -- ./batch.sh
    """
    program = command[0]
    inherited = os.environ  # noqa: TID251 - the child's environment, not our configuration
    env = dict(inherited)
    env.update(
        environment_for(
            load_settings(),
            agent,
            key,
            run_id,
            no_proxy_before=inherited.get("NO_PROXY") or inherited.get("no_proxy"),
            node_options_before=inherited.get("NODE_OPTIONS"),
        )
    )
    if shutil.which(program, path=env.get("PATH")) is None:
        raise click.ClickException(f"{program}: command not found")
    # exec: the agent gets our pid, signals and exit status, with nothing in between.
    os.execvpe(program, list(command), env)
