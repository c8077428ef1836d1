"""Attack: guess passwords, from one address or many, on one replica or two.

Before: 360 wrong passwords in a row were all answered 401, with no limit and no lockout.
Now failures are counted per account and per client address (in Redis, shared by replicas),
a locked key is answered 429 with Retry-After before any hashing, the org's alert channels
hear of an account lockout, and a Redis outage falls back to per-process counters.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from prometheus_client import REGISTRY
from redis.asyncio import Redis

from agentops.settings import Settings
from control_plane.app import create_app
from control_plane.auth.passwords import Passwords, PasswordsBusy
from control_plane.auth.throttle import Counter, LoginThrottle
from tests.control_plane.conftest import API, Client, SignUp
from tests.harness.ports import free_port

LIMITS = {"login_failures_per_account": 3, "login_failures_per_address": 6}


def _settings(
    make_settings: Callable[..., Settings], pg_url: str, redis_url: str, **auth: Any
) -> Settings:
    return make_settings(
        control_plane={
            "database_url": pg_url,
            "redis_url": redis_url,
            "app_role": "agentops_app",
            "password_hash_fast": True,
            "secret_key": "test-secret-key-that-is-long-enough-for-hs256",
            "run_worker": False,
            "auth": LIMITS | auth,
        }
    )


@pytest.fixture
def cp_settings(pg_url: str, redis_url: str, make_settings: Callable[..., Settings]) -> Settings:
    return _settings(make_settings, pg_url, redis_url)


async def _login(
    client: Client, email: str, password: str, headers: dict[str, str] | None = None
) -> tuple[int, dict[str, Any], dict[str, str]]:
    response = await client.post(
        f"{API}/auth/login", json={"email": email, "password": password}, headers=headers or {}
    )
    return response.status, await response.json(), dict(response.headers)


async def test_an_account_locks_after_its_limit_and_an_unknown_one_answers_alike(
    client: Client, signup: SignUp
) -> None:
    await signup(email="ada@example.com")
    for email in ("ada@example.com", "nobody@example.com"):
        statuses = [(await _login(client, email, "guess"))[0] for _ in range(3)]
        assert statuses == [401, 401, 401]
        status, body, headers = await _login(client, email, "guess")
        assert status == 429
        assert body["error"]["code"] == "too_many_failed_logins"
        assert body["error"]["details"]["scope"] == "account"
        assert 1 <= int(headers["Retry-After"]) <= 900
    # Locked means locked: the right password waits too (the guesser cannot tell).
    assert (await _login(client, "ada@example.com", "correct horse"))[0] == 429


async def test_a_success_clears_the_account_count(client: Client, signup: SignUp) -> None:
    await signup(email="ada@example.com")
    for _ in range(2):
        assert (await _login(client, "ada@example.com", "guess"))[0] == 401
    assert (await _login(client, "ada@example.com", "correct horse"))[0] == 200
    for _ in range(2):
        assert (await _login(client, "ada@example.com", "guess"))[0] == 401
    assert (await _login(client, "ada@example.com", "correct horse"))[0] == 200


async def test_one_address_spraying_many_accounts_is_limited_and_forwarded_for_is_ignored(
    client: Client,
) -> None:
    # Rotating the account and inventing X-Forwarded-For does not reset the address count.
    for n in range(6):
        forged = {"X-Forwarded-For": f"203.0.113.{n}"}
        assert (await _login(client, f"user{n}@example.com", "guess", forged))[0] == 401
    status, body, _ = await _login(
        client, "fresh@example.com", "guess", {"X-Forwarded-For": "1.2.3.4"}
    )
    assert (status, body["error"]["details"]["scope"]) == (429, "address")


async def test_behind_a_trusted_proxy_the_client_is_read_from_the_right_of_forwarded_for(
    pg_url: str,
    redis_url: str,
    make_settings: Callable[..., Settings],
    aiohttp_client: Callable[..., Awaitable[Client]],
) -> None:
    settings = _settings(make_settings, pg_url, redis_url, forwarded_for_hops=1)
    client = await aiohttp_client(create_app(settings))
    # The attacker prepends fake hops; the proxy appends the real client on the right.
    for n in range(6):
        headers = {"X-Forwarded-For": f"10.9.9.{n}, 198.51.100.7"}
        assert (await _login(client, f"user{n}@example.com", "guess", headers))[0] == 401
    limited = await _login(client, "x@example.com", "guess", {"X-Forwarded-For": "198.51.100.7"})
    assert limited[0] == 429
    # Another real client behind the same proxy is not affected.
    other = await _login(client, "x@example.com", "guess", {"X-Forwarded-For": "198.51.100.8"})
    assert other[0] == 401


async def test_two_replicas_share_the_count(
    pg_url: str,
    redis_url: str,
    make_settings: Callable[..., Settings],
    aiohttp_client: Callable[..., Awaitable[Client]],
    signup: SignUp,
) -> None:
    await signup(email="ada@example.com")
    settings = _settings(make_settings, pg_url, redis_url)
    a = await aiohttp_client(create_app(settings))
    b = await aiohttp_client(create_app(settings))
    assert [(await _login(c, "ada@example.com", "guess"))[0] for c in (a, b, a)] == [401] * 3
    assert (await _login(b, "ada@example.com", "guess"))[0] == 429


async def test_a_lockout_alerts_the_orgs_channels(client: Client, signup: SignUp) -> None:
    owner = await signup(email="ada@example.com")
    channel = {"name": "owners", "kind": "email", "recipients": ["owners@example.com"]}
    await owner.ok("POST", "/alerts/channels", 201, json=channel)
    for _ in range(4):
        await _login(client, "ada@example.com", "guess")
    deliveries = (await owner.ok("GET", "/alerts/deliveries"))["items"]
    lockouts = [d for d in deliveries if d["event_type"] == "auth.lockout"]
    assert len(lockouts) == 1, deliveries
    assert "ada@example.com" in lockouts[0]["payload"]["message"]


async def test_with_redis_unreachable_the_counters_fall_back_to_this_process() -> None:
    dead: Redis[bytes] = Redis.from_url(f"redis://127.0.0.1:{free_port()}/0")
    throttle = LoginThrottle(dead, "t:", window_seconds=60)
    before = REGISTRY.get_sample_value("agentops_login_throttle_fallbacks_total") or 0.0
    counter = [Counter("account", "account:x", 2)]
    try:
        assert await throttle.check(counter) is None
        assert await throttle.fail(counter) == []
        assert await throttle.fail(counter) == counter
        refusal = await throttle.check(counter)
    finally:
        await dead.aclose()  # type: ignore[attr-defined]
    assert refusal is not None
    assert 1 <= refusal.retry_after <= 60
    after = REGISTRY.get_sample_value("agentops_login_throttle_fallbacks_total") or 0.0
    assert after - before >= 4


async def test_password_hashing_beyond_its_queue_is_refused_not_queued_forever() -> None:
    passwords = Passwords(concurrency=1, queue=1)  # real argon2 parameters: slow on purpose
    encoded = await passwords.hash("correct horse")
    results = await asyncio.gather(
        *(passwords.verify(encoded, "guess") for _ in range(4)), return_exceptions=True
    )
    busy = [r for r in results if isinstance(r, PasswordsBusy)]
    assert results[:2] == [False, False]
    assert len(busy) == 2
    assert busy[0].status == 503
    assert busy[0].headers == {"Retry-After": "1"}
    assert await passwords.verify(encoded, "correct horse")  # the queue drained
