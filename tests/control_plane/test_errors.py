"""One error shape everywhere; malformed input is named; limits answer 413 and 429."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from agentops.settings import Settings
from control_plane.app import create_app
from control_plane.auth.permissions import PERMISSIONS
from control_plane.endpoint import Route
from control_plane.routes import ROUTES
from tests.control_plane.conftest import API, Client, Session, SignUp, api_key

BODY_ROUTES = [r for r in ROUTES if r.body is not None and "{" not in r.path]


def _error(body: dict[str, Any]) -> dict[str, Any]:
    assert set(body) == {"error"}
    assert set(body["error"]) == {"code", "message", "details", "request_id"}
    return body["error"]  # type: ignore[no-any-return]


async def _allowed_caller(signup: SignUp, route: Route) -> Session:
    """The owner, or an API key with the route's scope when owners may not call it."""
    owner = await signup()
    if route.permission is None or "owner" in PERMISSIONS[route.permission].roles:
        return owner
    scope = PERMISSIONS[route.permission].scope
    assert scope is not None
    return await api_key(owner, scope)


@pytest.mark.parametrize("route", BODY_ROUTES, ids=lambda r: f"{r.method} {r.path}")
async def test_each_body_route_names_the_invalid_field(signup: SignUp, route: Route) -> None:
    owner = await _allowed_caller(signup, route)
    response = await owner.call(route.method, route.path, json={"unexpected_field": 1})
    error = _error(await response.json())
    assert response.status == 422
    assert error["code"] == "validation_error"
    assert (
        "unexpected_field" in {d["field"] for d in error["details"]} or error["details"][0]["field"]
    )


@pytest.mark.parametrize("route", BODY_ROUTES, ids=lambda r: f"{r.method} {r.path}")
async def test_each_body_route_says_when_json_is_malformed(signup: SignUp, route: Route) -> None:
    owner = await _allowed_caller(signup, route)
    response = await owner.call(
        route.method, route.path, data=b'{"name": ', headers={"Content-Type": "application/json"}
    )
    error = _error(await response.json())
    assert (response.status, error["code"]) == (400, "malformed_json")
    assert "not valid JSON" in error["message"]


async def test_a_wrongly_typed_field_is_named(signup: SignUp) -> None:
    owner = await signup()
    response = await owner.call("POST", "/agents", json={"name": "ok", "tags": ["not", "a", "map"]})
    error = _error(await response.json())
    assert response.status == 422
    assert error["details"][0]["field"] == "tags"
    assert error["message"].startswith("invalid body: tags:")


async def test_nul_characters_and_nan_are_refused_not_crashed_on(signup: SignUp) -> None:
    owner = await signup()
    response = await owner.call("POST", "/agents", json={"name": "ok", "config": {"a": "x\x00y"}})
    assert (response.status, _error(await response.json())["details"][0]["field"]) == (
        422,
        "config.a",
    )
    response = await owner.call("POST", "/agents", data=b'{"name": "ok", "config": {"a": NaN}}')
    assert response.status == 400


async def test_an_oversized_body_is_413(
    pg_url: str,
    redis_url: str,
    make_settings: Callable[..., Settings],
    aiohttp_client: Callable[..., Awaitable[Client]],
) -> None:
    settings = make_settings(
        control_plane={"database_url": pg_url, "max_body_bytes": 1024, "run_worker": False}
    )
    client = await aiohttp_client(create_app(settings))
    response = await client.post(f"{API}/auth/login", data=b"{" + b" " * 4096 + b"}")
    assert (response.status, _error(await response.json())["code"]) == (413, "payload_too_large")


async def test_unknown_routes_and_methods_use_the_error_shape(client: Client) -> None:
    response = await client.get(f"{API}/nope")
    assert (response.status, _error(await response.json())["code"]) == (404, "not_found")
    response = await client.put(f"{API}/agents")
    assert (response.status, _error(await response.json())["code"]) == (405, "method_not_allowed")


async def test_every_response_carries_a_request_id_echoed_in_errors(client: Client) -> None:
    response = await client.get("/healthz")
    assert response.headers["X-Request-Id"]
    response = await client.get(f"{API}/agents", headers={"X-Request-Id": "abc-123"})
    assert response.headers["X-Request-Id"] == "abc-123"
    assert _error(await response.json())["request_id"] == "abc-123"
    response = await client.get(f"{API}/agents", headers={"X-Request-Id": "bad id\twith spaces"})
    assert response.headers["X-Request-Id"] != "bad id\twith spaces"


@pytest.mark.parametrize("backend", ["redis", "memory"])
async def test_rate_limits_answer_429_with_retry_after(
    backend: str,
    pg_url: str,
    redis_url: str,
    make_settings: Callable[..., Settings],
    aiohttp_client: Callable[..., Awaitable[Client]],
) -> None:
    settings = make_settings(
        control_plane={
            "database_url": pg_url,
            "redis_url": redis_url if backend == "redis" else None,
            "rate_limit_per_minute": 3,
            "password_hash_fast": True,
            "run_worker": False,
        }
    )
    client = await aiohttp_client(create_app(settings))
    account = {"email": "a@example.com", "password": "12345678"}
    signup = await client.post(f"{API}/auth/signup", json=account | {"org_name": "Rate"})
    assert signup.status == 202
    login = await client.post(f"{API}/auth/login", json=account)
    headers = {"Authorization": f"Bearer {(await login.json())['access_token']}"}
    statuses = [(await client.get(f"{API}/agents", headers=headers)).status for _ in range(3)]
    assert statuses == [200, 200, 200]
    response = await client.get(f"{API}/agents", headers=headers)
    assert response.status == 429
    assert int(response.headers["Retry-After"]) >= 1
    assert _error(await response.json())["details"]["scope"] == "org"
