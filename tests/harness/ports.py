"""Ports for the servers a test starts as separate processes.

A port found by binding port 0 is in the kernel's ephemeral range, which every outgoing
connection on the machine also draws from: between the probe closing it and the server binding
it, a client connection (to PostgreSQL, to Redis, another worker's test) may take it, and the
server then fails with "address already in use". So ports are handed out from below the
ephemeral range, where the kernel never assigns one by itself, each pytest-xdist worker from its
own slice, each one at most once per process, and only after a probe bind says it is free now.
"""

from __future__ import annotations

import itertools
import os
import random
import socket
import threading
from collections.abc import Iterator
from pathlib import Path

_FLOOR = 10_000  # under this, well-known services cluster; we stay out of their way


def _ephemeral_low() -> int:
    try:
        low = Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0]
        return int(low)
    except (OSError, ValueError, IndexError):
        return 32_768  # Linux's default


def _slice() -> range:
    """This process's share of the ports below the ephemeral range."""
    top = _ephemeral_low()
    bottom = _FLOOR if top - _FLOOR >= 2_000 else 1_024
    workers = int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "0") or 0)
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    index = int(worker[2:]) + 1 if worker.startswith("gw") and worker[2:].isdigit() else 0
    share = (top - bottom) // (workers + 1)
    start = bottom + index * share
    return range(start, start + share)


def _candidates() -> Iterator[int]:
    ports = _slice()
    # A random starting point, so two suites on one machine rarely walk the same ports.
    first = random.Random(os.getpid()).randrange(len(ports))
    return (ports[(first + i) % len(ports)] for i in itertools.count())


_lock = threading.Lock()
_next = _candidates()


def _bindable(port: int) -> bool:
    with socket.socket() as probe:
        try:
            probe.bind(("0.0.0.0", port))  # conflicts with a listener on any local address
        except OSError:
            return False
    return True


def free_port() -> int:
    """A TCP port nothing listens on, that no other caller in this run will be given."""
    with _lock:
        for port in _next:
            if _bindable(port):
                return port
    raise AssertionError("unreachable: the candidate ports repeat forever")
