"""Fixtures of the runtime tests: a real proxy on its own home, the fake provider behind every
provider host, and real client processes (Python, Node, curl) started with a chosen
environment."""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from proxy.service import ProxyService
from tests.fakeprovider.fixtures import fake_provider  # noqa: F401
from tests.fakeprovider.server import FakeProvider
from tests.proxy.conftest import (  # noqa: F401 - fixtures
    StartProxy,
    _no_ambient_proxy,
    proxy_settings,
    start_proxy,
)
from tests.proxy.helpers import final_records

HERE = Path(__file__).resolve().parent
CLIENTS = HERE / "clients"
NODE_DIR = HERE / "node"
BIN = Path(sys.executable).parent
PROVIDER_HOSTS = (
    "api.openai.com",
    "api.anthropic.com",
    "bedrock-runtime.us-east-1.amazonaws.com",
)
# What a client process inherits from the test; everything else it gets is chosen by the test.
_PASSED = ("PATH", "HOME", "LANG", "TMPDIR", "SYSTEMROOT")


@dataclass
class Finished:
    code: int
    stdout: str
    stderr: str


def base_env(home: Path, **extra: str) -> dict[str, str]:
    inherited = os.environ  # noqa: TID251 - what a child process needs to start at all
    env = {name: inherited[name] for name in _PASSED if name in inherited}
    env["PATH"] = f"{BIN}{os.pathsep}{env.get('PATH', '')}"
    env["AGENTOPS_HOME"] = str(home)
    # boto3 signs requests: any credentials do for the fake provider.
    env |= {"AWS_ACCESS_KEY_ID": "AKIATEST", "AWS_SECRET_ACCESS_KEY": "test-secret"}
    return env | extra


async def run_process(
    argv: list[str], env: Mapping[str, str], cwd: Path = HERE, limit: float = 60
) -> Finished:
    """Run a real process to its end while the in-process proxy keeps serving."""
    process = await asyncio.create_subprocess_exec(
        *argv,
        env=dict(env),
        cwd=cwd,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        out, err = await asyncio.wait_for(process.communicate(), limit)
    except TimeoutError:
        process.kill()
        await process.wait()
        raise
    return Finished(process.returncode or 0, out.decode(), err.decode())


def records(service: ProxyService) -> list[dict[str, Any]]:
    assert service.spool.wait_durable(timeout=10)
    return list(final_records(service.spool.directory).values())


@pytest.fixture
async def metered(start_proxy: StartProxy, fake_provider: FakeProvider) -> ProxyService:  # noqa: F811
    """A proxy whose every provider host is answered by the fake provider."""
    return await start_proxy(upstream_overrides=dict.fromkeys(PROVIDER_HOSTS, fake_provider.url))
