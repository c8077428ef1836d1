"""Snapshot publishing: the worker heals a publish lost between commit and publish, and embedded
mode runs the same path over the in-process bus."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import redis.asyncio as aioredis
from aiohttp import web
from aiohttp.test_utils import TestClient

from agentops.settings import Settings
from agentops.statebus import decode_snapshot
from control_plane import app_keys
from control_plane.app import create_app
from control_plane.services import control_state
from proxy.control import ControlStateHolder, MemoryStateSource
from tests.control_plane.conftest import API, Client, SignUp
from tests.harness.emergency import act


def app_of(client: Client) -> web.Application:
    app = client.app
    assert isinstance(app, web.Application)
    return app


async def test_the_worker_republishes_what_a_crash_left_unpublished(
    signup: SignUp, client: Client, cp_settings: Settings
) -> None:
    owner = await signup()
    killed = await act(owner, "kill", scope="org", reason="incident")
    assert cp_settings.control_plane.redis_url is not None
    redis: aioredis.Redis[Any] = aioredis.Redis.from_url(cp_settings.control_plane.redis_url)
    await redis.flushdb()  # as if the process died after the commit, before the publish
    app = app_of(client)

    await control_state.republish(app[app_keys.DATABASE], app[app_keys.STATE_BUS])

    bus = app[app_keys.STATE_BUS]
    [org] = (await bus.reader.versions()).keys()
    raw = (await bus.reader.fetch([org]))[org]
    assert raw is not None
    snapshot = decode_snapshot(raw, org=org)
    assert snapshot.version == killed["version"]
    assert [r.reason for r in snapshot.rules] == ["incident"]
    await redis.aclose()  # type: ignore[attr-defined]


async def test_republish_leaves_an_up_to_date_bus_alone(signup: SignUp, client: Client) -> None:
    owner = await signup()
    await act(owner, "pause", scope="org", reason="calm down")
    bus = app_of(client)[app_keys.STATE_BUS]
    before = await bus.reader.versions()
    app = app_of(client)
    await control_state.republish(app[app_keys.DATABASE], app[app_keys.STATE_BUS])
    assert await bus.reader.versions() == before


async def test_embedded_mode_applies_a_kill_before_the_api_answers(
    sqlite_url: str,
    make_settings: Callable[..., Settings],
    aiohttp_client: Callable[..., Awaitable[TestClient[Any, Any]]],
) -> None:
    settings = make_settings(
        control_plane={"database_url": sqlite_url, "redis_url": None, "run_worker": False,
                       "password_hash_fast": True,
                       "secret_key": "test-secret-key-that-is-long-enough-for-hs256"}
    )  # fmt: skip
    client = await aiohttp_client(create_app(settings))
    bus = app_of(client)[app_keys.STATE_BUS].memory
    assert bus is not None
    holder = ControlStateHolder()
    source = MemoryStateSource(bus, holder, resync_seconds=60)
    await source.start()
    signup = {"email": "o@example.com", "password": "correct horse", "org_name": "E",
              "org_slug": "embedded"}  # fmt: skip
    assert (await client.post(f"{API}/auth/signup", json=signup)).status == 202
    login = {"email": signup["email"], "password": signup["password"]}
    token = (await (await client.post(f"{API}/auth/login", json=login)).json())["access_token"]

    response = await client.post(
        f"{API}/emergency/kill",
        json={"scope": "agent", "target": "bot", "reason": "stop now", "create": True},
        headers={"Authorization": f"Bearer {token}"},
    )

    assert response.status == 200
    state = holder.get("embedded")
    assert state is not None
    assert [r.reason for r in state.rules] == ["stop now"]
    await source.close()


async def test_pausing_an_agent_in_the_registry_publishes_a_new_snapshot(
    signup: SignUp, client: Client
) -> None:
    # The registry's status is part of the snapshot every proxy gates on: a PATCH that pauses
    # an agent must reach the bus at once, not at the next republish.
    owner = await signup()
    agent = await owner.ok("POST", "/agents", 201, json={"name": "crawler"})
    bus = app_of(client)[app_keys.STATE_BUS]
    [org] = (await bus.reader.versions()).keys()
    before = (await bus.reader.versions())[org]

    await owner.ok("PATCH", f"/agents/{agent['id']}", json={"status": "paused"})

    raw = (await bus.reader.fetch([org]))[org]
    assert raw is not None
    snapshot = decode_snapshot(raw, org=org)
    assert snapshot.version > before
    assert snapshot.agents["crawler"]["status"] == "paused"
