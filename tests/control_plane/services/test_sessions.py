"""Attack: keep using an access token after its login was ended.

Before: after /auth/logout or a detected refresh-token reuse, the access tokens of that login
kept working for up to 15 minutes, on every replica. Now each token names its login (``sid``)
and every replica checks it against the store on each request, so it stops within 1 s (in
practice at the next request) on every replica: shown here with two real ``serve`` processes.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from pathlib import Path

import httpx

from agentops.settings import Settings
from control_plane.app import create_app
from tests.control_plane.conftest import API, Client
from tests.control_plane.serving import serve_env, serve_processes

REVOCATION_BOUND_SECONDS = 1.0


def test_every_way_a_login_ends_reaches_both_replicas_within_a_second(
    pg_url: str, redis_url: str, tmp_path: Path
) -> None:
    # One pair of real replicas for every scenario: starting processes is the slow part.
    with serve_processes(serve_env(pg_url, redis_url, tmp_path), tmp_path, 2) as (a, b):
        logout_on_one_replica_ends_the_access_token_on_the_other(a.url, b.url)
        refresh_token_reuse_ends_every_access_token_of_that_login(a.url, b.url)
        a_password_change_ends_every_other_login_on_every_replica(a.url, b.url)
        member_removal_ends_their_access_and_refresh_tokens(a.url, b.url)


def _post(base: str, path: str, body: dict[str, str], token: str | None = None) -> httpx.Response:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return httpx.post(f"{base}/api/v1{path}", json=body, headers=headers, timeout=10)


def _status(base: str, token: str) -> int:
    headers = {"Authorization": f"Bearer {token}"}
    return httpx.get(f"{base}/api/v1/orgs/profile", headers=headers, timeout=10).status_code


def _refused_within_bound(base: str, token: str) -> float:
    """Seconds until ``token`` is refused on ``base`` (fails beyond the bound)."""
    started = time.monotonic()
    while (status := _status(base, token)) == 200:
        assert time.monotonic() - started < REVOCATION_BOUND_SECONDS, "token still accepted"
        time.sleep(0.02)
    assert status == 401
    return time.monotonic() - started


def _login(base: str, email: str, password: str = "correct horse") -> dict[str, str]:
    response = _post(base, "/auth/login", {"email": email, "password": password})
    assert response.status_code == 200, response.text
    data: dict[str, str] = response.json()
    return data


def _signup(base: str, email: str) -> None:
    slug = email.partition("@")[0]
    body = {"email": email, "password": "correct horse", "org_name": slug, "org_slug": slug}
    assert _post(base, "/auth/signup", body).status_code == 202


def logout_on_one_replica_ends_the_access_token_on_the_other(a: str, b: str) -> None:
    _signup(a, "ada1@example.com")
    login = _login(a, "ada1@example.com")
    other_login = _login(b, "ada1@example.com")
    assert _status(b, login["access_token"]) == 200

    assert _post(a, "/auth/logout", {"refresh_token": login["refresh_token"]}).status_code == 204

    _refused_within_bound(b, login["access_token"])
    _refused_within_bound(a, login["access_token"])
    body = httpx.get(
        f"{b}/api/v1/orgs/profile",
        headers={"Authorization": f"Bearer {login['access_token']}"},
        timeout=10,
    ).json()
    assert body["error"]["code"] == "session_revoked"
    # Another login of the same person is another session: it keeps working.
    assert _status(b, other_login["access_token"]) == 200


def refresh_token_reuse_ends_every_access_token_of_that_login(a: str, b: str) -> None:
    _signup(a, "ada2@example.com")
    first = _login(a, "ada2@example.com")
    rotated = _post(a, "/auth/refresh-token", {"refresh_token": first["refresh_token"]}).json()
    assert _status(b, rotated["access_token"]) == 200

    # A thief replays the token that was already exchanged.
    reuse = _post(b, "/auth/refresh-token", {"refresh_token": first["refresh_token"]})
    assert reuse.json()["error"]["code"] == "refresh_token_reused"

    _refused_within_bound(a, first["access_token"])
    _refused_within_bound(a, rotated["access_token"])
    _refused_within_bound(b, rotated["access_token"])


def a_password_change_ends_every_other_login_on_every_replica(a: str, b: str) -> None:
    _signup(a, "ada3@example.com")
    laptop = _login(a, "ada3@example.com")
    stolen = _login(b, "ada3@example.com")

    changed = _post(
        a,
        "/auth/change-password",
        {"current_password": "correct horse", "new_password": "battery staple"},
        token=laptop["access_token"],
    )
    assert changed.status_code == 200, changed.text

    _refused_within_bound(b, stolen["access_token"])
    _refused_within_bound(b, laptop["access_token"])
    stale = _post(b, "/auth/refresh-token", {"refresh_token": stolen["refresh_token"]})
    assert stale.status_code == 401
    # The caller continues with the tokens the change answered, and the new password.
    assert _status(b, changed.json()["access_token"]) == 200
    old = _post(b, "/auth/login", {"email": "ada3@example.com", "password": "correct horse"})
    assert old.status_code == 401
    assert _login(b, "ada3@example.com", "battery staple")["access_token"]


def member_removal_ends_their_access_and_refresh_tokens(a: str, b: str) -> None:
    _signup(a, "owner4@example.com")
    owner = _login(a, "owner4@example.com")
    invited = _post(
        a, "/org-members", {"email": "bob@example.com"}, token=owner["access_token"]
    ).json()
    accepted = _post(
        a, "/auth/accept-invite", {"token": invited["invite_token"], "password": "bob's secret"}
    )
    assert accepted.status_code == 200, accepted.text
    bob = accepted.json()
    assert _status(b, bob["access_token"]) == 200

    removed = httpx.delete(
        f"{a}/api/v1/org-members/{invited['id']}",
        headers={"Authorization": f"Bearer {owner['access_token']}"},
        timeout=10,
    )
    assert removed.status_code == 204

    _refused_within_bound(b, bob["access_token"])
    again = _post(b, "/auth/refresh-token", {"refresh_token": bob["refresh_token"]})
    assert again.status_code == 401


async def test_in_embedded_mode_a_logout_ends_the_access_token_too(
    sqlite_url: str,
    make_settings: Callable[..., Settings],
    aiohttp_client: Callable[..., Awaitable[Client]],
) -> None:
    settings = make_settings(
        control_plane={"database_url": sqlite_url, "redis_url": None, "run_worker": False,
                       "password_hash_fast": True,
                       "secret_key": "test-secret-key-that-is-long-enough-for-hs256"}
    )  # fmt: skip
    client = await aiohttp_client(create_app(settings))
    account = {"email": "solo@example.com", "password": "correct horse"}
    assert (await client.post(f"{API}/auth/signup", json=account | {"org_name": "S"})).status == 202
    tokens = await (await client.post(f"{API}/auth/login", json=account)).json()
    headers = {"Authorization": f"Bearer {tokens['access_token']}"}
    assert (await client.get(f"{API}/orgs/profile", headers=headers)).status == 200
    logout = await client.post(
        f"{API}/auth/logout", json={"refresh_token": tokens["refresh_token"]}
    )
    assert logout.status == 204
    refused = await client.get(f"{API}/orgs/profile", headers=headers)
    assert (refused.status, (await refused.json())["error"]["code"]) == (401, "session_revoked")
