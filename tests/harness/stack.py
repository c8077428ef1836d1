"""Helpers of the end-to-end tests: a real control plane, a real proxy (in-process or a
subprocess), the official openai SDK in reverse (base_url) mode, and row counts."""

from __future__ import annotations

import asyncio
import json
import os
import sys
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import aiohttp
import openai
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

ROOT = Path(__file__).resolve().parents[2]
API = "/api/v1"


async def provision(base_url: str, slug: str = "acme") -> str:
    """Sign up an org, register agent 'bot', and return a new ingest API key."""
    async with aiohttp.ClientSession(base_url) as http:
        body = {"email": f"owner@{slug}.example.com", "password": "correct horse",
                "org_name": slug, "org_slug": slug}  # fmt: skip
        async with http.post(f"{API}/auth/signup", json=body) as r:
            assert r.status == 202, await r.text()
        login = {"email": body["email"], "password": body["password"]}
        async with http.post(f"{API}/auth/login", json=login) as r:
            token = (await r.json())["access_token"]
        auth = {"Authorization": f"Bearer {token}"}
        async with http.post(f"{API}/agents", json={"name": "bot"}, headers=auth) as r:
            assert r.status == 201, await r.text()
        key_body = {"name": "proxy", "scopes": ["ingest"]}
        async with http.post(f"{API}/api-keys", json=key_body, headers=auth) as r:
            assert r.status == 201, await r.text()
            return str((await r.json())["key"])


def sdk(reverse_port: int) -> openai.AsyncOpenAI:
    return openai.AsyncOpenAI(
        base_url=f"http://127.0.0.1:{reverse_port}/openai/v1", api_key="sk-test-e2e",
        max_retries=0, timeout=30, default_headers={"X-AgentOps-Agent": "bot"},
    )  # fmt: skip


async def call(client: openai.AsyncOpenAI, *, stream: bool = False) -> str:
    """One chat call under its own run id; returns the run id (our handle on the call)."""
    run = uuid.uuid4().hex
    headers = {"X-AgentOps-Run-Id": run}
    messages: Any = [{"role": "user", "content": "hi"}]
    if stream:
        chunks = await client.chat.completions.create(
            model="gpt-4o-mini", messages=messages, stream=True, extra_headers=headers
        )
        async for _ in chunks:
            pass
    else:
        await client.chat.completions.create(
            model="gpt-4o-mini", messages=messages, extra_headers=headers
        )
    return run


class Rows:
    """Counts in the store, read as the database owner (row-level security does not apply)."""

    def __init__(self, database_url: str) -> None:
        self._engine = create_async_engine(database_url)

    async def scalar(self, sql: str) -> Any:
        async with self._engine.connect() as conn:
            return (await conn.execute(text(sql))).scalar_one()

    async def run_keys(self) -> list[str]:
        async with self._engine.connect() as conn:
            result = await conn.execute(
                text("SELECT r.run_key FROM calls c JOIN runs r ON r.id = c.run_pk")
            )
            return [row[0] for row in result]

    async def close(self) -> None:
        await self._engine.dispose()


async def eventually(check: Callable[[], Awaitable[bool]], what: str, limit: float = 90) -> None:
    """Wait for a condition the system converges to (a deadline, not a timed assertion)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + limit
    while not await check():
        if loop.time() > deadline:
            raise AssertionError(f"never happened: {what}")
        await asyncio.sleep(0.1)


def spooled_run_keys(spool_dir: Path) -> set[str]:
    """Run ids of the records durable in a (killed) proxy's spool; a torn last line is skipped."""
    keys: set[str] = set()
    for path in sorted(spool_dir.glob("*.jsonl")):
        for line in path.read_bytes().splitlines():
            try:
                keys.add(json.loads(line)["run_id"])
            except (ValueError, KeyError):
                continue
    return keys


async def start_proxy_process(
    home: Path, reverse_port: int, upstream: str, control_plane: str, key: str
) -> asyncio.subprocess.Process:
    """``agentops proxy`` as a real process; returns once it printed ``ready``."""
    env = {
        **os.environ,  # the child inherits PATH and friends
        "AGENTOPS_HOME": str(home),
        "AGENTOPS_PROXY__CONTROL_PLANE_URL": control_plane,
        "AGENTOPS_PROXY__API_KEY": key,
        "AGENTOPS_PROXY__DEFAULT_ORG": "acme",
        "AGENTOPS_PROXY__ADMIN_PORT": "0",
        "AGENTOPS_PROXY__SHIP_BATCH_SIZE": "20",
        "AGENTOPS_PROXY__SHIP_INTERVAL_SECONDS": "0.05",
        "AGENTOPS_LOG_LEVEL": "WARNING",
    }
    args = ["-c", "from cli.main import main; main()", "proxy", "--listen", "127.0.0.1:0",
            "--reverse-port", str(reverse_port), "--upstream", f"api.openai.com={upstream}"]  # fmt: skip
    proc = await asyncio.create_subprocess_exec(
        sys.executable, *args, cwd=ROOT, env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.DEVNULL,
    )  # fmt: skip
    assert proc.stdout is not None
    async with asyncio.timeout(60):
        while (line := await proc.stdout.readline()) and line.strip() != b"ready":
            pass
    assert proc.returncode is None, "the proxy exited before it was ready"
    return proc
