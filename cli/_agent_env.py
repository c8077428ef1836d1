"""What ``agentops run`` and ``agentops ca env`` share: find the running proxy, write the CA
bundle, build the agent's environment."""

from __future__ import annotations

from pathlib import Path

import click

from agentops.agent_env import LOCAL_NO_PROXY, agent_env, merge_no_proxy, proxy_url
from agentops.settings import Settings


def environment_for(
    settings: Settings,
    agent: str | None,
    key: str | None,
    run: str | None,
    no_proxy_before: str | None = None,
    node_options_before: str | None = None,
) -> dict[str, str]:
    """The agent's variables for the proxy running on this home (else the configured one)."""
    from proxy.ca import write_bundle
    from proxy.runtime_file import read_runtime

    p = settings.proxy
    running = read_runtime(settings.home)
    if running is None:
        host, port, ca_dir = p.listen_host, p.listen_port, p.ca_dir
        click.echo(
            f"agentops: no running proxy found under {settings.home}; "
            f"using the configured {host}:{port}",
            err=True,
        )
    else:
        host, port, ca_dir = running.host, running.port, Path(running.ca_dir)
    bundle = write_bundle(ca_dir)
    url = proxy_url(host, port, agent, key, run)
    no_proxy = merge_no_proxy(",".join(LOCAL_NO_PROXY), no_proxy_before)
    return agent_env(url, bundle, no_proxy, node_options_before=node_options_before)
