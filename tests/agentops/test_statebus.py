"""The state bus package: the Redis client is imported only when a Redis-backed name is used."""

from __future__ import annotations

import subprocess
import sys

import pytest

import agentops.statebus


def test_a_proxy_without_redis_never_imports_the_client() -> None:
    """The proxy's service and its control wiring import no redis until a Redis-backed name is
    asked for; then it is the real class."""
    code = (
        "import sys\n"
        "import proxy.service, proxy.control_wiring, agentops.statebus\n"
        "print('redis' in sys.modules)\n"
        "from agentops.statebus import RedisSpendCounters, connect\n"
        "from agentops.statebus.spend_redis import RedisSpendCounters as Direct\n"
        "print('redis' in sys.modules, RedisSpendCounters is Direct, connect.__module__)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.splitlines() == ["False", "True True agentops.statebus.client"]


def test_an_unknown_name_is_an_attribute_error() -> None:
    with pytest.raises(AttributeError, match="no_such_name"):
        _ = agentops.statebus.no_such_name
