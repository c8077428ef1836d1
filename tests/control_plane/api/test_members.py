"""Members and teams: invitations, role changes, the last-owner rule, teams CRUD."""

from __future__ import annotations

from typing import Any

from tests.control_plane.conftest import Session, SignUp, join


async def _member(owner: Session, email: str) -> dict[str, Any]:
    members = await owner.ok("GET", "/org-members")
    return next(m for m in members["items"] if m["email"] == email)


async def test_invite_change_and_remove(signup: SignUp) -> None:
    owner = await signup()
    invited = await owner.ok(
        "POST", "/org-members", 201, json={"email": "new@example.com", "role": "viewer"}
    )
    assert (invited["role"], invited["email"]) == ("viewer", "new@example.com")
    again = await owner.call("POST", "/org-members", json={"email": "NEW@example.com"})
    assert (await again.json())["error"]["code"] == "already_member"
    changed = await owner.ok("PATCH", f"/org-members/{invited['id']}", json={"role": "admin"})
    assert changed["role"] == "admin"
    await owner.ok("DELETE", f"/org-members/{invited['id']}", 204)
    assert len((await owner.ok("GET", "/org-members"))["items"]) == 1


async def test_the_last_owner_cannot_be_removed_or_demoted(signup: SignUp) -> None:
    owner = await signup()
    me = await _member(owner, owner.email)
    for method, body in (("PATCH", {"role": "admin"}), ("DELETE", None)):
        response = await owner.call(method, f"/org-members/{me['id']}", json=body)
        assert (response.status, (await response.json())["error"]["code"]) == (409, "last_owner")
    second = await join(owner, signup, "owner")
    await second.ok("PATCH", f"/org-members/{me['id']}", json={"role": "admin"})


async def test_only_an_owner_grants_or_touches_the_owner_role(signup: SignUp) -> None:
    owner = await signup()
    admin = await join(owner, signup, "admin")
    me = await _member(owner, owner.email)
    assert (
        await admin.call("POST", "/org-members", json={"email": "x@example.com", "role": "owner"})
    ).status == 403
    assert (await admin.call("DELETE", f"/org-members/{me['id']}")).status == 403
    assert (
        await admin.call("PATCH", f"/org-members/{me['id']}", json={"role": "viewer"})
    ).status == 403


async def test_teams_crud_and_unique_names(signup: SignUp) -> None:
    owner = await signup()
    team = await owner.ok("POST", "/teams", 201, json={"name": "ml", "description": "models"})
    assert (await owner.call("POST", "/teams", json={"name": "ml"})).status == 409
    assert (await owner.ok("GET", f"/teams/{team['id']}"))["description"] == "models"
    renamed = await owner.ok("PATCH", f"/teams/{team['id']}", json={"name": "ml-platform"})
    assert renamed["name"] == "ml-platform"
    await owner.ok("DELETE", f"/teams/{team['id']}", 204)
    assert (await owner.ok("GET", "/teams"))["items"] == []


async def test_org_profile_update_validates_the_time_zone(signup: SignUp) -> None:
    owner = await signup()
    updated = await owner.ok(
        "PATCH", "/orgs/profile", json={"name": "Acme", "timezone": "Europe/Paris"}
    )
    assert (updated["name"], updated["timezone"]) == ("Acme", "Europe/Paris")
    bad = await owner.call("PATCH", "/orgs/profile", json={"timezone": "Mars/Olympus"})
    assert bad.status == 422
    assert (await bad.json())["error"]["details"][0]["field"] == "timezone"
