"""A throwaway network namespace with a veth link, made and removed by a test (root, Linux)."""

from __future__ import annotations

import secrets
import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Namespace:
    name: str
    address: str  # the namespace's own veth address

    def argv(self, *command: str) -> list[str]:
        return ["ip", "netns", "exec", self.name, *command]


def _ip(*args: str) -> None:
    subprocess.run(["ip", *args], check=True, capture_output=True, text=True)


@contextmanager
def namespace(hosts: dict[str, str]) -> Iterator[Namespace]:
    """A namespace whose default route leaves through a veth, and whose /etc/hosts maps
    ``hosts`` (``ip netns exec`` bind-mounts /etc/netns/<name>/hosts)."""
    tag = secrets.token_hex(3)
    name, outer, inner = f"aoh-{tag}", f"aoh{tag}h", f"aoh{tag}n"
    subnet = f"10.{200 + secrets.randbelow(50)}.{secrets.randbelow(250)}"
    etc = Path("/etc/netns") / name
    _ip("netns", "add", name)
    try:
        _ip("link", "add", outer, "type", "veth", "peer", "name", inner)
        _ip("link", "set", inner, "netns", name)
        _ip("addr", "add", f"{subnet}.1/30", "dev", outer)
        _ip("link", "set", outer, "up")
        inside = ["netns", "exec", name, "ip"]
        _ip(*inside, "link", "set", "lo", "up")
        _ip(*inside, "addr", "add", f"{subnet}.2/30", "dev", inner)
        _ip(*inside, "link", "set", inner, "up")
        _ip(*inside, "route", "add", "default", "via", f"{subnet}.1")
        etc.mkdir(parents=True)
        lines = ["127.0.0.1 localhost", *(f"{ip} {host}" for host, ip in hosts.items())]
        (etc / "hosts").write_text("\n".join(lines) + "\n")
        yield Namespace(name, f"{subnet}.2")
    finally:
        shutil.rmtree(etc, ignore_errors=True)
        subprocess.run(["ip", "link", "del", outer], check=False, capture_output=True)
        subprocess.run(["ip", "netns", "del", name], check=False, capture_output=True)
