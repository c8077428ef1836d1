"""Records survive outages end to end: a real control plane on PostgreSQL, a real proxy, the
official openai SDK driving calls through it to the fake provider.

- the control plane is down while calls go through: after it returns, each call is stored once;
- the proxy is killed with SIGKILL mid-load: after a restart nothing durable is lost and
  nothing is stored twice.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import pytest

from agentops.settings import Settings, load_settings
from control_plane.server import ControlPlaneServer
from proxy.service import ProxyService
from tests.fakeprovider.server import FakeProvider
from tests.harness.ports import free_port
from tests.harness.stack import (
    Rows,
    call,
    eventually,
    provision,
    sdk,
    spooled_run_keys,
    start_proxy_process,
)

pytestmark = [pytest.mark.integration, pytest.mark.timeout(300)]


@pytest.fixture
def settings(cp_settings: Settings) -> Settings:
    cp_settings.control_plane.port = free_port()  # kept across restarts of the control plane
    return cp_settings


@pytest.fixture
async def rows(pg_url: str) -> AsyncIterator[Rows]:
    counter = Rows(pg_url)
    yield counter
    await counter.close()


@contextlib.asynccontextmanager
async def control_plane(settings: Settings) -> AsyncIterator[ControlPlaneServer]:
    service = ControlPlaneServer(settings)
    await service.start()
    try:
        yield service
    finally:
        await service.stop()


def proxy_settings(tmp_path: Path, provider: FakeProvider, cp_url: str, key: str) -> Settings:
    return load_settings(
        home=tmp_path / "proxy-home",
        proxy={
            "listen_port": 0, "reverse_port": free_port(), "admin_port": 0,
            "upstream_overrides": {"api.openai.com": provider.url},
            "control_plane_url": cp_url, "api_key": key, "default_org": "acme",
            "ship_interval_seconds": 0.05,
        },
    )  # fmt: skip


def stored(rows: Rows, n: int, *, final: bool = True) -> Callable[[], Awaitable[bool]]:
    """n calls are stored (and final, unless a crash may have cut a stream for good)."""
    sql = "SELECT count(*) FROM calls" + (" WHERE status <> 'in_progress'" if final else "")

    async def check() -> bool:
        return bool(await rows.scalar(sql) >= n)

    return check


async def test_calls_made_while_the_control_plane_is_down_are_stored_once_it_returns(
    settings: Settings, rows: Rows, fake_provider: FakeProvider, tmp_path: Path
) -> None:
    async with control_plane(settings) as cp:
        key = await provision(cp.url)
        cp_url = cp.url
        proxy = ProxyService(proxy_settings(tmp_path, fake_provider, cp_url, key))
        await proxy.start()
    try:
        assert proxy.reverse_address is not None
        client = sdk(proxy.reverse_address[1])
        # The control plane is down: the agent's calls go through regardless.
        down = [await call(client, stream=i % 2 == 0) for i in range(20)]
        async with control_plane(settings):
            up = [await call(client, stream=True) for _ in range(5)]
            await eventually(stored(rows, 25), "all 25 calls stored")
            keys = await rows.run_keys()
            assert sorted(keys) == sorted(down + up)  # each call exactly once
            assert await rows.scalar("SELECT count(*) FROM calls WHERE status = 'ok'") == 25
            assert await rows.scalar("SELECT sum(calls) FROM cost_rollups") == 25
            assert await rows.scalar("SELECT count(*) FROM runs WHERE status <> 'ok'") == 0
            streamed = "SELECT count(*) FROM calls WHERE streamed AND ended_at IS NOT NULL"
            assert await rows.scalar(streamed) == 15  # each stream completed its record
        await client.close()
    finally:
        await proxy.stop()


async def test_a_proxy_killed_mid_load_loses_and_duplicates_nothing_after_restart(
    settings: Settings, rows: Rows, fake_provider: FakeProvider, tmp_path: Path
) -> None:
    home = tmp_path / "proxy-home"
    async with control_plane(settings) as cp:
        key = await provision(cp.url)
        port = free_port()
        proc = await start_proxy_process(home, port, fake_provider.url, cp.url, key)
        client = sdk(port)
        ok_before: list[str] = []
        workers = 8
        killed = asyncio.Event()

        async def load() -> None:
            while not killed.is_set():
                try:
                    ok_before.append(await call(client, stream=len(ok_before) % 3 == 0))
                except Exception:
                    return  # the proxy is gone mid-call: the SDK sees a connection error
                if len(ok_before) >= 60 and not killed.is_set():
                    killed.set()
                    proc.kill()  # SIGKILL: no shutdown, no flush

        await asyncio.gather(*(load() for _ in range(workers)))
        await proc.wait()
        await client.close()
        durable = spooled_run_keys(home / "spool")
        before = set(await rows.run_keys())

        port = free_port()
        proc = await start_proxy_process(home, port, fake_provider.url, cp.url, key)
        try:
            client = sdk(port)
            after = [await call(client) for _ in range(5)]
            await client.close()
            expected = before | durable | set(after)
            # A stream the kill cut stays in_progress: its final record was never written.
            done = stored(rows, len(expected), final=False)
            await eventually(done, f"{len(expected)} calls stored")
            keys = await rows.run_keys()
        finally:
            proc.terminate()
            await proc.wait()
    assert len(keys) == len(set(keys)), "a call was stored twice"
    assert set(keys) == expected, "a durable record was lost, or a phantom appeared"
    # Every answer the SDK got went out after its record was written to the spool file, which
    # a killed process cannot take back: none may be missing.
    assert set(ok_before) <= expected
    assert await rows.scalar("SELECT max(calls) FROM runs") == 1
    final = await rows.scalar("SELECT count(*) FROM calls WHERE status <> 'in_progress'")
    assert await rows.scalar("SELECT sum(calls) FROM cost_rollups") == final
