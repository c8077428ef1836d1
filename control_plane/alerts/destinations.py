"""Where an alert may be sent: the SSRF guard of webhook and Slack channels.

An org admin chooses the URL, and the control plane posts to it from inside the operator's
network, so the URL must not reach what only the control plane can reach: loopback, private
and shared ranges, link-local (cloud metadata at 169.254.169.254), unique-local, multicast,
unspecified and reserved addresses. The host is resolved once, every address it resolves to
is checked (any spelling of an address, ``0x7f000001``, ``2130706433``, ``127.1`` or
IPv4-mapped IPv6, resolves to the address itself), and the connection is then made to those
checked addresses only (``PinnedResolver``), so a DNS answer that changes between the check
and the connection (rebinding) cannot redirect it. TLS still verifies the URL's host name.

Operators with on-premises receivers name them in ``control_plane.alert_allowed_internal_hosts``:
a host name (exactly as in the URL) or an IP address or network (CIDR).
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, Self

from aiohttp.abc import AbstractResolver, ResolveResult
from yarl import URL

type Address = ipaddress.IPv4Address | ipaddress.IPv6Address
type Network = ipaddress.IPv4Network | ipaddress.IPv6Network
Lookup = Callable[[str, int], Awaitable[list[str]]]

# Names that answer with instance credentials on cloud hosts, whatever they resolve to here.
METADATA_NAMES = frozenset(
    {"metadata.google.internal", "metadata.goog", "metadata", "instance-data",
     "instance-data.ec2.internal", "metadata.azure.internal"}
)  # fmt: skip
# IPv6 prefixes that embed an IPv4 address a gateway may forward to (NAT64, 6to4).
NAT64 = ipaddress.IPv6Network("64:ff9b::/96")
SIX_TO_FOUR = ipaddress.IPv6Network("2002::/16")


class DestinationRefused(Exception):
    """The URL may not be used; the message is a fixed, safe reason (no receiver content)."""


@dataclass(frozen=True)
class Destination:
    host: str  # as in the URL: the TLS server name and the Host header
    port: int
    addresses: tuple[str, ...]  # checked; the only addresses the connection may use


async def system_lookup(host: str, port: int) -> list[str]:
    infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


def refusal(address: Address) -> str | None:
    """Why this address may not receive alerts, or None when it is a public one (pure)."""
    if isinstance(address, ipaddress.IPv6Address):
        embedded = address.ipv4_mapped or address.sixtofour
        if embedded is None and address in NAT64:
            embedded = ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
        if embedded is None and int(address) >> 32 == 0 and int(address) > 1:
            embedded = ipaddress.IPv4Address(int(address))  # deprecated IPv4-compatible ::a.b.c.d
        if embedded is not None:
            return refusal(embedded)
    checks = (
        ("unspecified", address.is_unspecified),
        ("loopback", address.is_loopback),
        ("link-local", address.is_link_local),
        ("multicast", address.is_multicast),
        ("private", address.is_private or not address.is_global),
    )
    return next((name for name, hit in checks if hit), None)


@dataclass(frozen=True)
class DestinationPolicy:
    allowed_hosts: frozenset[str] = frozenset()
    allowed_networks: tuple[Network, ...] = ()
    lookup: Lookup = field(default=system_lookup, compare=False)

    @classmethod
    def from_entries(cls, entries: Iterable[str], lookup: Lookup = system_lookup) -> Self:
        hosts: set[str] = set()
        networks: list[Network] = []
        for entry in entries:
            try:
                networks.append(ipaddress.ip_network(entry.strip(), strict=False))
            except ValueError:
                hosts.add(_normal(entry))
        return cls(frozenset(hosts), tuple(networks), lookup)

    async def resolve(self, url: str) -> Destination:
        """Check ``url`` and return the addresses it may be sent to; ``DestinationRefused``
        with a fixed reason otherwise."""
        try:
            parsed = URL(url)
            port = parsed.port
        except (ValueError, TypeError):
            raise DestinationRefused("the URL is not valid") from None
        if parsed.scheme not in ("http", "https") or not parsed.host or port is None:
            raise DestinationRefused("the URL must be http(s)://host/…")
        host = _normal(parsed.host)
        allowed_by_name = host in self.allowed_hosts
        if host in METADATA_NAMES and not allowed_by_name:
            raise DestinationRefused("the host is a cloud metadata service")
        try:
            found = await self.lookup(host, port)
            addresses = [ipaddress.ip_address(a.split("%", 1)[0]) for a in found]
        except (OSError, UnicodeError, ValueError):
            raise DestinationRefused("the host name does not resolve") from None
        if not addresses:
            raise DestinationRefused("the host name does not resolve")
        for address in addresses:
            reason = refusal(address)
            if reason is not None and not allowed_by_name and not self._allowed(address):
                raise DestinationRefused(
                    f"the host resolves to a {reason} address; an operator may allow it in "
                    "control_plane.alert_allowed_internal_hosts"
                )
        return Destination(host, port, tuple(str(a) for a in addresses))

    def _allowed(self, address: Address) -> bool:
        return any(address.version == n.version and address in n for n in self.allowed_networks)


def _normal(host: str) -> str:
    return host.strip().lower().rstrip(".").removeprefix("[").removesuffix("]")


class PinnedResolver(AbstractResolver):
    """An aiohttp resolver that answers only with a checked destination's addresses."""

    def __init__(self, destination: Destination) -> None:
        self._destination = destination

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        if _normal(host) != self._destination.host:
            raise OSError("connection to an unchecked host")  # no redirects, so never
        return [_result(host, address, port) for address in self._destination.addresses]

    async def close(self) -> None:
        return None


def _result(host: str, address: str, port: int) -> ResolveResult:
    family = socket.AF_INET6 if ":" in address else socket.AF_INET
    flags: Any = socket.AI_NUMERICHOST | socket.AI_NUMERICSERV
    return ResolveResult(
        hostname=host, host=address, port=port, family=family, proto=0, flags=flags
    )
