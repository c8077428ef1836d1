"""``NO_PROXY`` semantics for the parent proxy: which destinations the proxy reaches directly.

The rules curl, Go and requests share: ``*`` matches everything; a host name matches itself and
its subdomains (``example.com`` and ``.example.com`` both match ``api.example.com``); an IP
matches itself, a CIDR block its addresses; ``host:port`` only that port. Pure.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from dataclasses import dataclass

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@dataclass(frozen=True, slots=True)
class _Rule:
    host: str | None  # a lower-case name without leading dot, or None for a network
    network: Network | None
    port: int | None


@dataclass(frozen=True, slots=True)
class NoProxy:
    everything: bool
    rules: tuple[_Rule, ...]

    @classmethod
    def parse(cls, entries: Iterable[str]) -> NoProxy:
        rules: list[_Rule] = []
        everything = False
        for raw in entries:
            for entry in raw.split(","):
                entry = entry.strip().lower()
                if entry == "*":
                    everything = True
                elif entry:
                    rules.append(_rule(entry))
        return cls(everything, tuple(rules))

    def bypasses(self, host: str, port: int) -> bool:
        """Whether ``host:port`` is reached directly rather than through the parent."""
        if self.everything:
            return True
        host = host.lower().strip("[]").rstrip(".")
        address = _address(host)
        for rule in self.rules:
            if rule.port is not None and rule.port != port:
                continue
            if rule.network is not None:
                if address is not None and address in rule.network:
                    return True
            elif rule.host is not None and (host == rule.host or host.endswith("." + rule.host)):
                return True
        return False


def _rule(entry: str) -> _Rule:
    port: int | None = None
    if entry.startswith("["):  # [::1]:8080
        inside, _, rest = entry[1:].partition("]")
        entry, port = inside, int(rest[1:]) if rest.startswith(":") and rest[1:].isdigit() else None
    elif entry.count(":") == 1:
        name, _, digits = entry.partition(":")
        if digits.isdigit():
            entry, port = name, int(digits)
    try:
        return _Rule(None, ipaddress.ip_network(entry, strict=False), port)
    except ValueError:
        return _Rule(entry.lstrip("*").lstrip("."), None, port)


def _address(host: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        return None
