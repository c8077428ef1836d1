"""The iptables rules of transparent capture: the agent's TCP connections to ports 80/443 are
redirected to the proxy's transparent listener, so nothing it runs can bypass the proxy, not
even a client that ignores HTTPS_PROXY.

The model is Istio's sidecar: rules in the ``nat`` table's ``OUTPUT`` chain of the pod's (or
network namespace's) own stack, jumping to a chain of ours. The proxy's own connections are
exempted by its user or group id (``-m owner``), otherwise its calls upstream would loop back
into itself; loopback destinations are left alone. Pure: the CLI runs the commands.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

CHAIN = "AGENTOPS_OUTPUT"


@dataclass(frozen=True, slots=True)
class Capture:
    proxy_port: int
    proxy_uid: int | None = None
    proxy_gid: int | None = None
    ports: tuple[int, ...] = (80, 443)
    exclude: tuple[str, ...] = ("127.0.0.0/8",)  # destinations never redirected (CIDR)

    def __post_init__(self) -> None:
        if self.proxy_uid is None and self.proxy_gid is None:
            raise ValueError("name the proxy's uid or gid: its own traffic must be exempted")
        if not self.ports:
            raise ValueError("no port to capture")


def install(capture: Capture) -> list[list[str]]:
    """iptables argument lists that (re)create our chain and hook it into OUTPUT.

    Idempotent as a sequence: ``clear`` first, so running init twice leaves one set."""
    chain = ["-t", "nat", "-A", CHAIN]
    rules = [["-t", "nat", "-N", CHAIN]]
    if capture.proxy_uid is not None:
        rules.append([*chain, "-m", "owner", "--uid-owner", str(capture.proxy_uid), "-j", "RETURN"])
    if capture.proxy_gid is not None:
        rules.append([*chain, "-m", "owner", "--gid-owner", str(capture.proxy_gid), "-j", "RETURN"])
    for cidr in capture.exclude:
        rules.append([*chain, "-d", cidr, "-j", "RETURN"])
    for port in capture.ports:
        rules.append(
            [*chain, "-p", "tcp", "--dport", str(port), "-j", "REDIRECT",
             "--to-ports", str(capture.proxy_port)]
        )  # fmt: skip
    rules.append(["-t", "nat", "-A", "OUTPUT", "-p", "tcp", "-j", CHAIN])
    return rules


def clear() -> list[list[str]]:
    """iptables argument lists removing what ``install`` added (each may fail if absent)."""
    return [
        ["-t", "nat", "-D", "OUTPUT", "-p", "tcp", "-j", CHAIN],
        ["-t", "nat", "-F", CHAIN],
        ["-t", "nat", "-X", CHAIN],
    ]


def script(commands: Sequence[Sequence[str]], iptables: str = "iptables") -> str:
    return "\n".join(" ".join([iptables, *command]) for command in commands)
