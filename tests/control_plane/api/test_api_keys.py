"""API keys: shown once, stored as a hash, scoped, revoked and expired with immediate effect."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import psycopg

from tests.control_plane.conftest import SignUp, api_key


async def test_a_key_is_shown_once_and_stored_only_as_a_hash(signup: SignUp, pg_url: str) -> None:
    owner = await signup()
    created = await owner.ok("POST", "/api-keys", 201, json={"name": "ci", "scopes": ["read"]})
    assert created["key"].startswith(created["prefix"] + "_")
    listed = await owner.ok("GET", "/api-keys")
    assert "key" not in listed["items"][0]
    assert listed["items"][0]["prefix"] == created["prefix"]
    secret = created["key"].rsplit("_", 1)[1]
    with psycopg.connect(pg_url.replace("+psycopg", "")) as conn:
        stored = conn.execute("SELECT public_id, secret_hash FROM api_keys").fetchall()
    assert len(stored) == 1
    assert secret not in stored[0][1]
    assert created["key"] not in repr(stored)


async def test_a_key_authenticates_and_records_last_use(signup: SignUp) -> None:
    owner = await signup()
    key = await api_key(owner, "read")
    await key.ok("GET", "/agents")
    listed = await owner.ok("GET", "/api-keys")
    assert listed["items"][0]["last_used_at"] is not None


async def test_revocation_takes_effect_on_the_next_request(signup: SignUp) -> None:
    owner = await signup()
    key = await api_key(owner, "read")
    await key.ok("GET", "/agents")
    key_id = (await owner.ok("GET", "/api-keys"))["items"][0]["id"]
    await owner.ok("DELETE", f"/api-keys/{key_id}", 204)
    response = await key.call("GET", "/agents")
    body = await response.json()
    assert response.status == 401
    assert body["error"]["code"] == "api_key_revoked"
    assert "revoked" in body["error"]["message"]
    assert (await owner.ok("GET", "/api-keys"))["items"] == []
    assert (
        len((await owner.ok("GET", "/api-keys", params={"include_revoked": "true"}))["items"]) == 1
    )


async def test_an_expired_key_is_refused_naming_why(signup: SignUp, pg_url: str) -> None:
    owner = await signup()
    tomorrow = (datetime.now(UTC) + timedelta(days=1)).isoformat()
    key = await api_key(owner, "read", expires_at=tomorrow)
    await key.ok("GET", "/agents")
    # Let a day pass, as far as the database is concerned.
    with psycopg.connect(pg_url.replace("+psycopg", "")) as conn:
        conn.execute("UPDATE api_keys SET expires_at = now() - interval '1 second'")
    response = await key.call("GET", "/agents")
    body = await response.json()
    assert (response.status, body["error"]["code"]) == (401, "api_key_expired")
    assert "expired at" in body["error"]["message"]
    past = await owner.call(
        "POST",
        "/api-keys",
        json={"name": "old", "scopes": ["read"], "expires_at": "2000-01-01T00:00:00Z"},
    )
    assert past.status == 422


async def test_malformed_and_unknown_keys_are_refused(signup: SignUp) -> None:
    owner = await signup()
    for token in ("aoh_short", "aoh_abcdefabcdef_" + "x" * 43):
        response = await owner.client.get(
            "/api/v1/agents", headers={"Authorization": f"Bearer {token}"}
        )
        assert response.status == 401
        assert (await response.json())["error"]["code"] == "invalid_api_key"


async def test_a_key_can_be_bound_to_an_existing_agent_only(signup: SignUp) -> None:
    owner = await signup()
    agent = await owner.ok("POST", "/agents", 201, json={"name": "bot"})
    bound = await owner.ok(
        "POST", "/api-keys", 201, json={"name": "b", "scopes": ["ingest"], "agent_id": agent["id"]}
    )
    assert bound["agent_id"] == agent["id"]
    response = await owner.call(
        "POST", "/api-keys", json={"name": "b", "scopes": ["ingest"], "agent_id": str(uuid.uuid4())}
    )
    assert response.status == 422
