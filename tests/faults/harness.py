"""What the fault scenarios are made of: a Redis of the test's own that can be stopped and
started again empty, a TCP relay that can refuse or swallow traffic in front of a real server,
calls through a proxy with real credentials, and the figures each scenario prints.

Nothing here touches the shared PostgreSQL or Redis servers: a scenario stops only the Redis it
started, and black-holes PostgreSQL by switching its own relay, never the server behind it.
"""

from __future__ import annotations

import asyncio
import base64
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import openai
import redis

from tests.faults.stores import stored_calls
from tests.harness.cluster import ProxyProcess, wait_for
from tests.harness.ports import free_port

ROOT = Path(__file__).resolve().parents[2]

HELLO: list[openai.types.chat.ChatCompletionMessageParam] = [{"role": "user", "content": "hi"}]
MODEL = "gpt-4o-mini"
FIGURES_FILE = "fault-figures.jsonl"


class OwnRedis:
    """A redis-server of this test alone on a fixed port, without persistence (as deployed):
    ``stop`` then ``start`` is a Redis restarted empty."""

    def __init__(self) -> None:
        self.port = free_port()
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        binary = shutil.which("redis-server")
        assert binary, "redis-server is required (apt-get install redis-server)"
        args = [binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
                "--appendonly", "no"]  # fmt: skip
        self._process = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while True:
            try:
                redis.Redis(port=self.port, socket_connect_timeout=0.5).ping()
                return
            except redis.RedisError:
                assert time.monotonic() < deadline, "redis-server did not answer within 10 s"
                time.sleep(0.02)

    def stop(self) -> None:
        _end(self._process)
        self._process = None

    def dbsize(self) -> int:
        return int(redis.Redis(port=self.port, socket_connect_timeout=0.5).dbsize())


class Relay:
    """A TCP relay in front of a real server (``tests/faults/relay.py``, its own process).
    ``swallow``: connections are accepted and read but never answered, as when packets are
    dropped. ``refuse``: every connection, open or new, is reset.
    ``restore``: a plain relay again. Each returns once the relay has switched."""

    def __init__(self, upstream_port: int) -> None:
        self.port = free_port()
        self._upstream = upstream_port
        self._process: subprocess.Popen[str] | None = None

    async def start(self) -> None:
        args = [sys.executable, "-m", "tests.faults.relay", str(self.port), str(self._upstream)]
        self._process = await asyncio.to_thread(
            subprocess.Popen, args, stdout=subprocess.PIPE, text=True, cwd=ROOT
        )
        await self._acknowledged("forward")

    async def close(self) -> None:
        _end(self._process)
        self._process = None

    async def swallow(self) -> None:
        await self._switch(signal.SIGUSR1, "swallow")

    async def refuse(self) -> None:
        await self._switch(signal.SIGUSR2, "refuse")

    async def restore(self) -> None:
        await self._switch(signal.SIGHUP, "forward")

    async def _switch(self, sig: signal.Signals, mode: str) -> None:
        assert self._process is not None
        self._process.send_signal(sig)
        await self._acknowledged(mode)

    async def _acknowledged(self, mode: str) -> None:
        assert self._process is not None
        assert self._process.stdout is not None
        line = await asyncio.wait_for(asyncio.to_thread(self._process.stdout.readline), 10)
        assert line.strip() == mode, f"relay answered {line!r}, expected {mode!r}"


def _end(process: subprocess.Popen[Any] | None) -> None:
    if process is not None:
        process.kill()
        process.wait(timeout=10)
        if process.stdout is not None:
            process.stdout.close()


def proxy_client(proxy: ProxyProcess, agent: str, key: str) -> openai.AsyncOpenAI:
    """The official SDK through the proxy's reverse endpoint with real proxy credentials."""
    basic = base64.b64encode(f"{agent}:{key}".encode()).decode()
    return openai.AsyncOpenAI(
        base_url=proxy.base_url,
        api_key="sk-test-not-a-secret",
        max_retries=0,
        timeout=20,
        default_headers={"proxy-authorization": f"Basic {basic}"},
    )


async def call(proxy: ProxyProcess, agent: str, key: str) -> int:
    """One chat completion; its HTTP status (200, or the refusal's)."""
    async with proxy_client(proxy, agent, key) as client:
        try:
            await client.chat.completions.create(model=MODEL, messages=HELLO)
        except openai.APIStatusError as exc:
            return exc.status_code
    return 200


@dataclass
class Figures:
    """What each scenario prints: calls answered, stored, stored twice, refused though valid,
    and the seconds from the fault's end to full service."""

    scenario: str
    answered: int = 0
    stored: int = 0
    duplicated: int = 0
    refused_wrongly: int = 0
    seconds_to_recover: float | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def report(self, directory: Path) -> None:
        line = json.dumps(asdict(self), default=str)
        print(f"\nFAULT {line}")
        with (directory / FIGURES_FILE).open("a") as out:
            out.write(line + "\n")


async def call_figures(
    scenario: str,
    pg_url: str,
    statuses: list[int],
    seconds_to_recover: float,
    extra: dict[str, Any],
) -> Figures:
    """Figures of a scenario whose calls (agent ``worker``) all had to be answered: waits until
    every answered call is stored (the shipper retries), then counts the stored calls that went
    upstream (a call the scenario's fault refused is recorded too, as ``refused``, and may be
    shipped before or after the count: it is not one of the answered calls)."""
    answered = statuses.count(200)
    await wait_for(lambda: _stored_at_least(pg_url, answered), deadline=60)
    rows, distinct = await stored_calls(pg_url, "worker", refused=False)
    return Figures(scenario, answered, distinct, rows - distinct, len(statuses) - answered,
                   round(seconds_to_recover, 2), extra)  # fmt: skip


async def _stored_at_least(pg_url: str, answered: int) -> bool:
    return (await stored_calls(pg_url, "worker", refused=False))[0] >= answered


def figures_dir(basetemp: Path) -> Path:
    """One place every xdist worker and the controller agree on: the run's base temp dir."""
    worker = os.environ.get("PYTEST_XDIST_WORKER")  # noqa: TID251 (pytest-xdist, not our config)
    return basetemp.parent if worker else basetemp
