"""The permission table decides every route: walk roles by routes and API-key scopes by routes."""

from __future__ import annotations

import re
import uuid

import pytest

from control_plane.auth.permissions import PERMISSIONS, SCOPE_IMPLIES
from control_plane.routes import ROUTES
from tests.control_plane.conftest import API, Session, SignUp, api_key, join

PROTECTED = [route for route in ROUTES if route.permission is not None]
ROLES = ["owner", "admin", "team_lead", "member", "viewer"]


def _concrete(path: str) -> str:
    # A random id: an allowed caller gets 404/422/2xx, a denied one 403 before any lookup.
    return re.sub(r"{\w+}", lambda _: str(uuid.uuid4()), path)


async def _status(session: Session, method: str, path: str, has_body: bool) -> int:
    response = await session.call(method, _concrete(path), json={} if has_body else None)
    return int(response.status)


def test_every_route_names_a_permission_in_the_table() -> None:
    for route in PROTECTED:
        assert route.permission in PERMISSIONS


async def test_role_matrix(signup: SignUp) -> None:
    owner = await signup()
    sessions = {"owner": owner}
    for role in ROLES[1:]:
        sessions[role] = await join(owner, signup, role)
    mismatches = []
    for route in PROTECTED:
        assert route.permission is not None
        for role, session in sessions.items():
            status = await _status(session, route.method, route.path, route.body is not None)
            allowed = role in PERMISSIONS[route.permission].roles
            if allowed != (status not in (401, 403)):
                mismatches.append((role, route.method, route.path, status))
    assert mismatches == []


@pytest.mark.parametrize("scope", ["read", "admin", "ingest"])
async def test_api_key_scope_matrix(signup: SignUp, scope: str) -> None:
    owner = await signup()
    key = await api_key(owner, scope)
    mismatches = []
    for route in PROTECTED:
        assert route.permission is not None
        rule = PERMISSIONS[route.permission]
        allowed = rule.scope is not None and rule.scope in SCOPE_IMPLIES[scope]  # type: ignore[index]
        status = await _status(key, route.method, route.path, route.body is not None)
        if allowed != (status not in (401, 403)):
            mismatches.append((route.method, route.path, status))
    assert mismatches == []


async def test_every_protected_route_refuses_anonymous_callers(signup: SignUp) -> None:
    owner = await signup()
    for route in PROTECTED:
        response = await owner.client.request(route.method, API + _concrete(route.path))
        body = await response.json()
        assert response.status == 401, route.path
        assert body["error"]["code"] == "missing_credentials"
        assert response.headers["WWW-Authenticate"].startswith("Bearer")
