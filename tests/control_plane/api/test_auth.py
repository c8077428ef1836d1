"""Signup, login, rotating refresh tokens with reuse detection, logout."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from agentops.settings import Settings
from control_plane.auth.tokens import issue_access_token
from tests.control_plane.conftest import API, Client, SignUp, join


async def _post(client: Client, path: str, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    response = await client.post(API + path, json=body)
    return response.status, await response.json() if response.status != 204 else {}


async def test_signup_makes_the_caller_owner_of_a_new_org(signup: SignUp) -> None:
    owner = await signup(org="acme")
    profile = await owner.ok("GET", "/orgs/profile")
    assert profile["slug"] == "acme"
    members = await owner.ok("GET", "/org-members")
    assert [(m["email"], m["role"]) for m in members["items"]] == [(owner.email, "owner")]


async def test_signup_answers_alike_whether_or_not_the_address_exists(
    client: Client, signup: SignUp
) -> None:
    await signup(email="ada@example.com", org="acme")
    taken = {"email": "ADA@example.com", "password": "guessing", "org_name": "O", "org_slug": "o1"}
    free = {"email": "eve@example.com", "password": "guessing", "org_name": "O", "org_slug": "o2"}
    assert await _post(client, "/auth/signup", taken) == await _post(client, "/auth/signup", free)
    assert (await _post(client, "/auth/signup", free))[0] == 409  # o2 exists now: slug_taken
    # The known address with a wrong password created nothing and changed nothing.
    login = {"email": "ada@example.com", "password": "guessing"}
    assert (await _post(client, "/auth/login", login))[0] == 401
    assert (await _post(client, "/auth/signup", taken | {"email": "zed@example.com"}))[0] == 202
    # The owner of the address, with their password, gets a second org.
    mine = taken | {"password": "correct horse", "org_slug": "acme-two"}
    assert (await _post(client, "/auth/signup", mine))[0] == 202
    second = {"email": "ada@example.com", "password": "correct horse", "org": "acme-two"}
    status, body = await _post(client, "/auth/login", second)
    assert (status, body["org_slug"], body["role"]) == (200, "acme-two", "owner")


async def test_signup_refuses_a_taken_slug(client: Client, signup: SignUp) -> None:
    await signup(email="ada@example.com", org="acme")
    body = {
        "email": "bob@example.com",
        "password": "12345678",
        "org_name": "Acme",
        "org_slug": "acme",
    }
    assert (await _post(client, "/auth/signup", body))[1]["error"]["code"] == "slug_taken"


async def test_a_closed_signup_is_refused_for_every_address(
    client: Client, cp_settings: Settings, signup: SignUp
) -> None:
    await signup(email="ada@example.com")
    cp_settings.control_plane.auth.open_signup = False
    for email in ("ada@example.com", "new@example.com"):
        body = {"email": email, "password": "12345678", "org_name": "X"}
        status, answer = await _post(client, "/auth/signup", body)
        assert (status, answer["error"]["code"]) == (403, "signup_disabled")


async def test_login_with_a_wrong_password_or_unknown_email_is_the_same_401(
    client: Client, signup: SignUp
) -> None:
    await signup(email="ada@example.com")
    wrong = await _post(client, "/auth/login", {"email": "ada@example.com", "password": "nope"})
    unknown = await _post(client, "/auth/login", {"email": "who@example.com", "password": "nope"})
    assert wrong[0] == unknown[0] == 401
    assert wrong[1]["error"]["message"] == unknown[1]["error"]["message"]


async def test_a_refresh_token_rotates_and_its_reuse_revokes_the_whole_family(
    client: Client, signup: SignUp
) -> None:
    owner = await signup()
    status, first = await _post(
        client, "/auth/refresh-token", {"refresh_token": owner.refresh_token}
    )
    assert status == 200
    assert first["refresh_token"] != owner.refresh_token
    # Replaying the old token: someone holds a stale copy.
    status, reused = await _post(
        client, "/auth/refresh-token", {"refresh_token": owner.refresh_token}
    )
    assert (status, reused["error"]["code"]) == (401, "refresh_token_reused")
    # ... and the legitimate successor is revoked with it.
    status, after = await _post(
        client, "/auth/refresh-token", {"refresh_token": first["refresh_token"]}
    )
    assert (status, after["error"]["code"]) == (401, "refresh_token_revoked")


async def test_logout_revokes_the_refresh_token(client: Client, signup: SignUp) -> None:
    owner = await signup()
    assert (await _post(client, "/auth/logout", {"refresh_token": owner.refresh_token}))[0] == 204
    status, body = await _post(
        client, "/auth/refresh-token", {"refresh_token": owner.refresh_token}
    )
    assert (status, body["error"]["code"]) == (401, "refresh_token_revoked")
    assert (await _post(client, "/auth/logout", {"refresh_token": "aor_unknown"}))[0] == 204


async def test_an_expired_access_token_is_refused_naming_why(
    signup: SignUp, cp_settings: Settings
) -> None:
    owner = await signup()
    token, _ = issue_access_token(
        cp_settings.control_plane.secret_key.get_secret_value(),
        user_id=uuid.UUID(owner.user_id),
        org_id=uuid.UUID(owner.org_id),
        session_id=uuid.uuid4(),
        ttl_seconds=60,
        now=datetime.now(UTC) - timedelta(hours=1),
    )
    response = await owner.client.get(API + "/agents", headers={"Authorization": f"Bearer {token}"})
    body = await response.json()
    assert response.status == 401
    assert "expired" in body["error"]["message"]


async def test_a_forged_token_is_refused(signup: SignUp) -> None:
    owner = await signup()
    response = await owner.client.get(
        API + "/agents", headers={"Authorization": f"Bearer {owner.token}x"}
    )
    assert response.status == 401


async def test_a_removed_member_loses_access_at_once(signup: SignUp) -> None:
    owner = await signup()
    admin = await join(owner, signup, "admin")
    members = await owner.ok("GET", "/org-members")
    admin_member = next(m for m in members["items"] if m["email"] == admin.email)
    await owner.ok("DELETE", f"/org-members/{admin_member['id']}", 204)
    response = await admin.call("GET", "/agents")
    assert response.status == 401
    assert (await response.json())["error"]["code"] == "not_a_member"
