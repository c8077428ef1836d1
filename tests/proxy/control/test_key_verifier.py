"""StateKeyVerifier, fed from the embedded control plane's in-process bus (embedded mode)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from aiohttp import web
from aiohttp.test_utils import TestClient

from agentops.settings import Settings
from control_plane import app_keys
from control_plane.app import create_app
from proxy.control import ControlStateHolder, MemoryStateSource
from proxy.control.key_verifier import StateKeyVerifier
from proxy.identity_rules import Credentials, Refused, Verified
from tests.control_plane.conftest import API

Client = TestClient[Any, Any]


async def _embedded(
    sqlite_url: str,
    make_settings: Callable[..., Settings],
    aiohttp_client: Callable[..., Awaitable[Client]],
) -> tuple[Client, dict[str, str]]:
    settings = make_settings(
        control_plane={"database_url": sqlite_url, "redis_url": None, "run_worker": False,
                       "password_hash_fast": True,
                       "secret_key": "test-secret-key-that-is-long-enough-for-hs256"}
    )  # fmt: skip
    client = await aiohttp_client(create_app(settings))
    signup = {"email": "o@example.com", "password": "correct horse", "org_name": "E",
              "org_slug": "embedded"}  # fmt: skip
    assert (await client.post(f"{API}/auth/signup", json=signup)).status == 202
    login = {"email": signup["email"], "password": signup["password"]}
    token = (await (await client.post(f"{API}/auth/login", json=login)).json())["access_token"]
    return client, {"Authorization": f"Bearer {token}"}


async def test_embedded_keys_are_verified_and_a_revocation_applies_before_the_api_answers(
    sqlite_url: str,
    make_settings: Callable[..., Settings],
    aiohttp_client: Callable[..., Awaitable[Client]],
) -> None:
    client, auth = await _embedded(sqlite_url, make_settings, aiohttp_client)
    app = client.app
    assert isinstance(app, web.Application)
    bus = app[app_keys.STATE_BUS].memory
    assert bus is not None
    verifier = StateKeyVerifier(require_credentials=True, default_org="default")
    source = MemoryStateSource(bus, ControlStateHolder(), resync_seconds=60, verifier=verifier)
    await source.start()
    body = {"name": "k", "scopes": ["ingest"]}
    created = await (await client.post(f"{API}/api-keys", json=body, headers=auth)).json()
    key = created["key"]

    assert verifier.verify(Credentials("bot", key)) == Verified("embedded", key_id=key[4:16])
    wrong_secret = f"{key[:16]}_{'x' * 43}"  # aoh_ + public id, then another secret
    assert isinstance(verifier.verify(Credentials("bot", wrong_secret)), Refused)

    response = await client.delete(f"{API}/api-keys/{created['id']}", headers=auth)
    assert response.status == 204
    assert isinstance(verifier.verify(Credentials("bot", key)), Refused)
    await source.close()


async def test_embedded_binding_and_expiry(
    sqlite_url: str,
    make_settings: Callable[..., Settings],
    aiohttp_client: Callable[..., Awaitable[Client]],
) -> None:
    client, auth = await _embedded(sqlite_url, make_settings, aiohttp_client)
    app = client.app
    assert isinstance(app, web.Application)
    bus = app[app_keys.STATE_BUS].memory
    assert bus is not None
    later = datetime.now(UTC) + timedelta(days=1)
    clock = [datetime.now(UTC)]
    verifier = StateKeyVerifier(
        require_credentials=False, default_org="default", clock=lambda: clock[0]
    )
    source = MemoryStateSource(bus, ControlStateHolder(), resync_seconds=60, verifier=verifier)
    await source.start()
    agent = await (await client.post(f"{API}/agents", json={"name": "bot"}, headers=auth)).json()
    body = {"name": "k", "scopes": ["ingest"], "agent_id": agent["id"],
            "expires_at": later.isoformat()}  # fmt: skip
    key = (await (await client.post(f"{API}/api-keys", json=body, headers=auth)).json())["key"]

    assert verifier.verify(Credentials("x", key)) == Verified(
        "embedded", agent="bot", key_id=key[4:16]
    )
    # Credentials optional: an empty password only names the agent; a key typed one character
    # short, or any other password that is no key, is refused like a wrong key.
    assert verifier.verify(Credentials("x", "")) == Verified("default")
    for malformed in (key[:-1], "not-a-key", key + "x"):
        refusal = verifier.verify(Credentials("x", malformed))
        assert isinstance(refusal, Refused)
        assert refusal.status == 407
        assert "malformed" in refusal.message
    clock[0] = later + timedelta(seconds=1)
    refused = verifier.verify(Credentials("bot", key))
    assert isinstance(refused, Refused)
    assert "expired" in refused.message
    await source.close()
