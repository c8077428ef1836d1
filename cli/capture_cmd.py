"""``agentops capture``: transparent capture, so nothing an agent runs bypasses the proxy."""

from __future__ import annotations

import shutil
import subprocess

import click

from agentops.redirect_rules import Capture, clear, install, script


def _ports(value: str) -> tuple[int, ...]:
    try:
        ports = tuple(int(p) for p in value.split(",") if p.strip())
    except ValueError:
        raise click.BadParameter(f"expected comma-separated ports, got {value!r}") from None
    if not ports or any(not 0 < p < 65536 for p in ports):
        raise click.BadParameter(f"expected ports between 1 and 65535, got {value!r}")
    return ports


@click.group()
def capture() -> None:
    """Redirect an agent's connections to ports 80/443 into the proxy (iptables, Linux).

    Run `init` once in the agent's network namespace (a Kubernetes init container with
    NET_ADMIN, or a VM), with the proxy running its transparent listener
    (AGENTOPS_PROXY__TRANSPARENT_PORT) under a user or group the rules exempt.

    \b
    Examples:
      agentops capture init --proxy-port 15001 --proxy-uid 1337
      agentops capture init --proxy-port 15001 --proxy-gid 1337 --dry-run
      agentops capture clear
    """


@capture.command("init")
@click.option("--proxy-port", type=int, required=True, help="The proxy's transparent port.")
@click.option("--proxy-uid", type=int, default=None, help="User id the proxy runs as (exempt).")
@click.option("--proxy-gid", type=int, default=None, help="Group id the proxy runs as (exempt).")
@click.option("--ports", default="80,443", show_default=True, help="Destination ports to capture.")
@click.option(
    "--exclude-cidr",
    multiple=True,
    help="Destinations never redirected, besides 127.0.0.0/8. Repeatable.",
)
@click.option("--dry-run", is_flag=True, help="Print the iptables commands instead.")
def init(
    proxy_port: int,
    proxy_uid: int | None,
    proxy_gid: int | None,
    ports: str,
    exclude_cidr: tuple[str, ...],
    dry_run: bool,
) -> None:
    """Install the rules (replacing ours if present).

    \b
    Examples:
      agentops capture init --proxy-port 15001 --proxy-uid 1337
      agentops capture init --proxy-port 15001 --proxy-gid 1337 --exclude-cidr 10.0.0.0/8
    """
    try:
        rules = Capture(
            proxy_port, proxy_uid, proxy_gid, _ports(ports), ("127.0.0.0/8", *exclude_cidr)
        )
    except ValueError as exc:
        raise click.UsageError(str(exc)) from None
    if dry_run:
        click.echo(script(install(rules)))
        return
    iptables = _iptables()
    _run(iptables, clear(), check=False)
    _run(iptables, install(rules), check=True)
    click.echo(f"capturing tcp ports {ports} -> proxy port {proxy_port}")


@capture.command("clear")
def clear_cmd() -> None:
    """Remove the rules.

    \b
    Example:
      agentops capture clear
    """
    _run(_iptables(), clear(), check=False)
    click.echo("capture rules removed")


def _iptables() -> str:
    found = shutil.which("iptables")
    if found is None:
        raise click.ClickException(
            "iptables not found: install it (Debian: apt-get install iptables)"
        )
    return found


def _run(iptables: str, commands: list[list[str]], check: bool) -> None:
    for command in commands:
        done = subprocess.run([iptables, *command], capture_output=True, text=True, check=False)
        if check and done.returncode != 0:
            raise click.ClickException(
                f"{' '.join(['iptables', *command])}: {done.stderr.strip() or done.returncode}"
            )
