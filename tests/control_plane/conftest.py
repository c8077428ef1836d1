"""Control-plane fixtures: the real app on a fresh migrated PostgreSQL database and a flushed
Redis db (from tests/conftest.py), plus small helpers that read like the API they drive."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from agentops.settings import Settings
from control_plane.app import create_app
from control_plane.server import ControlPlaneServer

API = "/api/v1"

Client = TestClient[Any, Any]


@dataclass
class Session:
    """A signed-in user, as the API sees them."""

    client: Client
    token: str
    refresh_token: str
    org_id: str
    user_id: str
    email: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    async def call(self, method: str, path: str, **kw: Any) -> Any:
        headers = {**self.headers, **kw.pop("headers", {})}
        return await self.client.request(method, API + path, headers=headers, **kw)

    async def ok(self, method: str, path: str, status: int = 200, **kw: Any) -> Any:
        response = await self.call(method, path, **kw)
        text = await response.text()
        assert response.status == status, f"{method} {path} -> {response.status}: {text}"
        return await response.json() if text else None


@pytest.fixture
def cp_settings(pg_url: str, redis_url: str, make_settings: Callable[..., Settings]) -> Settings:
    return make_settings(
        control_plane={
            "database_url": pg_url,
            "redis_url": redis_url,
            "app_role": "agentops_app",
            "password_hash_fast": True,
            "secret_key": "test-secret-key-that-is-long-enough-for-hs256",
            "run_worker": False,
        }
    )


@pytest.fixture
async def client(cp_settings: Settings, aiohttp_client: Callable[..., Awaitable[Client]]) -> Client:
    return await aiohttp_client(create_app(cp_settings))


SignUp = Callable[..., Awaitable[Session]]


@pytest.fixture
def signup(client: Client) -> SignUp:
    counter = iter(range(10_000))

    async def do(
        email: str | None = None, org: str | None = None, password: str = "correct horse"
    ) -> Session:
        n = next(counter)
        email = email or f"owner{n}@example.com"
        body = {
            "email": email,
            "password": password,
            "org_name": org or f"Org {n}",
            "org_slug": org or f"org-{n}",
        }
        response = await client.post(f"{API}/auth/signup", json=body)
        assert response.status == 202, await response.text()
        login = {"email": email, "password": password, "org": body["org_slug"]}
        response = await client.post(f"{API}/auth/login", json=login)
        data = await response.json()
        assert response.status == 200, data
        return Session(
            client,
            data["access_token"],
            data["refresh_token"],
            data["org_id"],
            data["user_id"],
            email,
        )

    return do


async def join(owner: Session, signup: SignUp, role: str, *, team_id: str | None = None) -> Session:
    """A user with ``role`` in the owner's org, through the real flow: they sign up (their own
    org), the owner invites their e-mail, and they log in choosing the owner's org."""
    guest = await signup()
    await owner.ok(
        "POST", "/org-members", 201, json={"email": guest.email, "role": role, "team_id": team_id}
    )
    profile = await owner.ok("GET", "/orgs/profile")
    response = await owner.client.post(
        f"{API}/auth/login",
        json={"email": guest.email, "password": "correct horse", "org": profile["slug"]},
    )
    data = await response.json()
    assert response.status == 200, data
    return Session(
        owner.client,
        data["access_token"],
        data["refresh_token"],
        data["org_id"],
        data["user_id"],
        guest.email,
    )


async def api_key(owner: Session, *scopes: str, **extra: Any) -> Session:
    """A session authenticated by a new API key with ``scopes``."""
    created = await owner.ok(
        "POST", "/api-keys", 201, json={"name": "k", "scopes": list(scopes), **extra}
    )
    return Session(owner.client, created["key"], "", owner.org_id, "", "")


@pytest.fixture
def running_url(
    pg_url: str, redis_url: str, make_settings: Callable[..., Settings]
) -> Iterator[str]:
    """The real service on its own loop in a thread, so blocking clients can drive it."""
    config: Settings = make_settings(
        control_plane={
            "port": 0,
            "database_url": pg_url,
            "redis_url": redis_url,
            "app_role": "agentops_app",
            "password_hash_fast": True,
            "run_worker": False,
        }
    )
    loop = asyncio.new_event_loop()
    service = ControlPlaneServer(config)
    ready = threading.Event()

    def serve() -> None:
        asyncio.set_event_loop(loop)
        loop.run_until_complete(service.start())
        ready.set()
        loop.run_forever()
        loop.run_until_complete(service.stop())
        loop.close()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    assert ready.wait(30), "control plane did not start"
    try:
        yield service.url
    finally:
        loop.call_soon_threadsafe(loop.stop)
        thread.join(30)


# The two org shapes the tests below ask for by name: `org` is a signed-up owner with an ingest key
# (tests/control_plane/store and ingest override it with the store-level org), `db` the store.
from tests.harness.api_org import org as org  # noqa: E402
from tests.harness.store_org import db  # noqa: E402, F401
