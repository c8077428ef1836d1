"""What the fault scenarios are made of: a Redis of the test's own that can be stopped and
started again empty, a TCP relay that can refuse or swallow traffic in front of a real server,
calls through a proxy with real credentials, and the figures each scenario prints.

Nothing here touches the shared PostgreSQL or Redis servers: a scenario stops only the Redis it
started, and black-holes PostgreSQL by switching its own relay, never the server behind it.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import os
import shutil
import subprocess
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal

import openai
import redis

from tests.emergency.cluster import ProxyProcess
from tests.harness.servers import free_port

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
        if self._process is not None:
            self._process.kill()
            self._process.wait(timeout=10)
            self._process = None

    def dbsize(self) -> int:
        return int(redis.Redis(port=self.port, socket_connect_timeout=0.5).dbsize())


Mode = Literal["forward", "swallow", "refuse"]


class Relay:
    """A TCP relay in front of a real server. ``swallow``: connections are accepted and read but
    never answered, as when packets are dropped. ``refuse``: nothing listens (connection
    refused) and open connections are reset. ``forward``: a plain relay again."""

    def __init__(self, upstream_port: int) -> None:
        self.port = free_port()
        self._upstream = upstream_port
        self.mode: Mode = "forward"
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()
        self._tasks: set[asyncio.Task[None]] = set()

    async def start(self) -> None:
        self._server = await asyncio.start_server(
            self._accept, "127.0.0.1", self.port, reuse_address=True
        )

    async def close(self) -> None:
        await self._stop_listening()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    def swallow(self) -> None:
        self.mode = "swallow"

    async def refuse(self) -> None:
        self.mode = "refuse"
        await self._stop_listening()

    async def restore(self) -> None:
        self.mode = "forward"
        if self._server is None:
            await self.start()

    async def _stop_listening(self) -> None:
        if self._server is not None:
            self._server.close()
            self._server = None
        for writer in list(self._writers):
            writer.transport.abort()

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._writers.add(writer)
        try:
            if self.mode == "swallow":
                while await reader.read(65536):
                    pass
                return
            up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self._upstream)
            self._writers.add(up_writer)
            pumps = [
                self._spawn(self._pump(reader, up_writer)),
                self._spawn(self._pump(up_reader, writer)),
            ]
            await asyncio.wait(pumps, return_when=asyncio.FIRST_COMPLETED)
            up_writer.transport.abort()
        except OSError:
            pass
        finally:
            writer.transport.abort()

    def _spawn(self, coro: Any) -> asyncio.Task[None]:
        task: asyncio.Task[None] = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    async def _pump(self, source: asyncio.StreamReader, sink: asyncio.StreamWriter) -> None:
        with contextlib.suppress(OSError):
            while data := await source.read(65536):
                if self.mode == "forward":  # swallowed: read and dropped, never answered
                    sink.write(data)
                    await sink.drain()


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


def figures_dir(basetemp: Path) -> Path:
    """One place every xdist worker and the controller agree on: the run's base temp dir."""
    worker = os.environ.get("PYTEST_XDIST_WORKER")  # noqa: TID251 (pytest-xdist, not our config)
    return basetemp.parent if worker else basetemp
