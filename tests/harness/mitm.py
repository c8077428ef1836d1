"""A mitmproxy connection handler without a socket: what tests and benchmarks of the hook
hand-off (``proxy._mitm_hooks``) drive with a scripted layer stack; and the digest by which the
tests of our copies of mitmproxy's internals (``proxy/_mitm_*.py``) pin the originals."""

from __future__ import annotations

import hashlib
import inspect
from collections.abc import Callable
from typing import Any

from mitmproxy.proxy import mode_servers, mode_specs


class Writer:
    """What a connection handler asks of its client's stream writer."""

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return ("127.0.0.1", 50000) if name in ("peername", "sockname") else default

    def write(self, data: bytes) -> None:
        pass

    def is_closing(self) -> bool:
        return False


def connection_handler(master: Any) -> mode_servers.ProxyConnectionHandler:
    """A real ``ProxyConnectionHandler`` of ``master`` (a regular-mode client connection)."""
    mode = mode_specs.ProxyMode.parse("regular")
    return mode_servers.ProxyConnectionHandler(master, None, Writer(), master.options, mode)  # type: ignore[no-untyped-call]


def source_digest(function: Callable[..., Any]) -> str:
    """sha256 (hex) of ``function``'s source: it changes when the pinned original does."""
    return hashlib.sha256(inspect.getsource(function).encode()).hexdigest()
