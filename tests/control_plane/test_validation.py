"""Hostile input is a 400 in the one error shape, never a 500 (issue 13): JSON nested deep
enough to exhaust recursion, and control characters (NUL) in path parameters, on every route
that takes a body or a path parameter."""

from __future__ import annotations

from typing import Any

import pytest

from control_plane.auth.permissions import PERMISSIONS
from control_plane.routes import ROUTES
from control_plane.validation import MAX_JSON_DEPTH
from tests.control_plane.conftest import API, Client, Session, SignUp, api_key

PATH_ROUTES = sorted({(r.method, r.path) for r in ROUTES if "{" in r.path})
BODY_ROUTES = [r for r in ROUTES if r.body is not None]


def nested(depth: int) -> bytes:
    return b'{"a":' * depth + b"1" + b"}" * depth


def _error(body: dict[str, Any]) -> dict[str, Any]:
    assert set(body) == {"error"}
    assert set(body["error"]) == {"code", "message", "details", "request_id"}
    return body["error"]  # type: ignore[no-any-return]


def _fill(path: str, value: str) -> str:
    import re

    return re.sub(r"\{[^}]+\}", value, path)


async def test_json_nested_a_thousand_levels_is_a_400_everywhere(signup: SignUp) -> None:
    owner = await signup()
    callers: dict[str, Session] = {}
    for depth in (900, 1_000, 100_000):
        for route in BODY_ROUTES:
            caller = owner
            if route.permission is not None and "owner" not in PERMISSIONS[route.permission].roles:
                scope = PERMISSIONS[route.permission].scope
                assert scope is not None
                caller = callers.get(scope) or callers.setdefault(
                    scope, await api_key(owner, scope)
                )
            method, path = route.method, route.path
            response = await caller.call(
                method, _fill(path, "00000000-0000-0000-0000-000000000000"),
                data=nested(depth), headers={"content-type": "application/json"},
            )  # fmt: skip
            assert response.status == 400, (method, path, depth, await response.text())
            assert _error(await response.json())["code"] in ("too_deep", "malformed_json")


async def test_json_at_the_depth_limit_is_parsed_not_refused(signup: SignUp) -> None:
    owner = await signup()
    response = await owner.call(
        "POST", "/teams", data=nested(MAX_JSON_DEPTH - 1),
        headers={"content-type": "application/json"},
    )  # fmt: skip
    assert response.status == 422  # reached validation: the body is simply not a team


@pytest.mark.parametrize("raw", ["%00", "a%00b", "%01", "%7F"])
async def test_control_characters_in_path_parameters_are_a_400(
    signup: SignUp, client: Client, raw: str
) -> None:
    owner = await signup()
    for method, path in PATH_ROUTES:
        response = await client.request(method, API + _fill(path, raw), headers=owner.headers)
        assert response.status == 400, (method, path, await response.text())
        assert _error(await response.json())["code"] == "invalid_path"


async def test_the_reported_attack_urls(signup: SignUp) -> None:
    owner: Session = await signup()
    response = await owner.call("GET", "/runs/%00")
    assert response.status == 400
    error = _error(await response.json())
    assert error["details"][0]["location"] == "path"
