"""/api/v1/policies on the real app: CRUD, validation errors, audit, RBAC, and the enabled
policies in the org's published control-state snapshot."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from agentops.statebus import decode_snapshot
from control_plane import app_keys
from policies import compile_policies
from tests.control_plane.conftest import Client, Session, SignUp, join

DENY_GPT4 = {
    "name": "no-gpt4",
    "description": "gpt-4 class models cost too much for batch agents",
    "action": "deny",
    "when": {"models": ["gpt-4*"]},
    "scope": {"kind": "team", "values": ["batch"]},
}


async def published(client: Client) -> Any:
    app = client.app
    assert isinstance(app, web.Application)
    bus = app[app_keys.STATE_BUS]
    [org] = (await bus.reader.versions()).keys()
    raw = (await bus.reader.fetch([org]))[org]
    assert raw is not None
    return decode_snapshot(raw, org=org)


async def test_create_show_update_delete_and_the_snapshot_follows(
    signup: SignUp, client: Client
) -> None:
    owner = await signup()
    created = await owner.ok("POST", "/policies", 201, json=DENY_GPT4)
    assert (created["revision"], created["mode"], created["enabled"]) == (1, "enforce", True)
    assert created["created_by"] == owner.email
    [doc] = (await published(client)).policies
    assert (doc["id"], doc["name"], doc["when"]["models"]) == (created["id"], "no-gpt4", ["gpt-4*"])
    assert len(compile_policies([doc])) == 1  # what proxies receive compiles

    by_name = await owner.ok("GET", "/policies/no-gpt4")
    assert by_name["id"] == created["id"]
    changed = await owner.ok("PATCH", f"/policies/{created['id']}", json={"mode": "shadow"})
    assert (changed["revision"], changed["mode"]) == (2, "shadow")
    same = await owner.ok("PATCH", "/policies/no-gpt4", json={"mode": "shadow"})
    assert same["revision"] == 2  # no change, no new revision
    disabled = await owner.ok("PATCH", "/policies/no-gpt4", json={"enabled": False})
    assert disabled["enabled"] is False
    assert (await published(client)).policies == []  # disabled: not enforced anywhere
    page = await owner.ok("GET", "/policies")
    assert [p["name"] for p in page["items"]] == ["no-gpt4"]

    await owner.ok("DELETE", "/policies/no-gpt4", 204)
    await owner.ok("GET", "/policies/no-gpt4", 404)
    audit = await owner.ok("GET", "/audit-logs")
    actions = [e["action"] for e in audit["items"] if e["entity_type"] == "policy"]
    assert sorted(actions) == sorted(
        ["policy.create", "policy.update", "policy.update", "policy.delete"]
    )


async def error(session: Session, method: str, path: str, status: int, body: Any) -> Any:
    answer = await session.ok(method, path, status, json=body)
    return answer["error"]


async def test_bad_documents_get_specific_4xx_errors(signup: SignUp, client: Client) -> None:
    owner = await signup()
    cases: list[tuple[dict[str, Any], str]] = [
        ({"name": "x", "action": "explode"}, "action"),
        ({"name": "Bad Name", "action": "deny"}, "name"),
        ({"name": "r", "action": "route"}, "route_to"),
        ({"name": "m", "action": "redact"}, "detectors"),
        ({"name": "p", "action": "deny", "when": {"patterns": ["(a"]}}, "RE2"),
        ({"name": "t", "action": "deny", "when": {"time_window": {"start": "25:00"}}}, "HH:MM"),
        (
            {"name": "z", "action": "deny", "when": {"time_window": {"timezone": "Mars/Base"}}},
            "Mars",
        ),
        ({"name": "s", "action": "deny", "scope": {"kind": "team"}}, "at least one value"),
        ({"name": "u", "action": "deny", "unknown": 1}, "unknown"),
    ]
    for body, needle in cases:
        err = await error(owner, "POST", "/policies", 422, body)
        assert needle in str(err), (body, err)
    await owner.ok("POST", "/policies", 201, json=DENY_GPT4)
    err = await error(owner, "POST", "/policies", 409, DENY_GPT4)
    assert "exists" in err["message"]
    err = await error(owner, "PATCH", "/policies/no-gpt4", 422, {"action": "route"})
    assert "route_to" in str(err)
    await owner.ok("PATCH", "/policies/nope", 404, json={"mode": "shadow"})


async def test_members_read_and_only_admins_write(signup: SignUp, client: Client) -> None:
    owner = await signup()
    await owner.ok("POST", "/policies", 201, json=DENY_GPT4)
    member = await join(owner, signup, "member")
    assert [p["name"] for p in (await member.ok("GET", "/policies"))["items"]] == ["no-gpt4"]
    await member.ok("PATCH", "/policies/no-gpt4", 403, json={"mode": "shadow"})
    await member.ok("DELETE", "/policies/no-gpt4", 403)
    other = await signup()
    await other.ok("GET", "/policies/no-gpt4", 404)  # another org's policy does not exist
