"""The agents registry: CRUD, filters, cursor pagination, team_lead scope, audit trail."""

from __future__ import annotations

import uuid

from tests.control_plane.conftest import SignUp, join


async def test_create_show_update_delete(signup: SignUp) -> None:
    owner = await signup()
    await owner.ok("POST", "/teams", 201, json={"name": "payments"})
    body = {"name": "refund-bot", "team": "payments", "provider": "openai", "environment": "prod",
            "tags": {"tier": "1"}, "config": {"max_tokens": 100}}  # fmt: skip
    created = await owner.ok("POST", "/agents", 201, json=body)
    assert created["team"] == "payments"
    assert created["status"] == "active"
    shown = await owner.ok("GET", f"/agents/{created['id']}")
    assert shown == created
    updated = await owner.ok(
        "PATCH", f"/agents/{created['id']}", json={"status": "paused", "team": None}
    )
    assert (updated["status"], updated["team"]) == ("paused", None)
    await owner.ok("DELETE", f"/agents/{created['id']}", 204)
    assert (await owner.call("GET", f"/agents/{created['id']}")).status == 404


async def test_names_are_unique_per_org_only(signup: SignUp) -> None:
    a, b = await signup(), await signup()
    await a.ok("POST", "/agents", 201, json={"name": "bot"})
    response = await a.call("POST", "/agents", json={"name": "bot"})
    assert (response.status, (await response.json())["error"]["code"]) == (409, "name_taken")
    await b.ok("POST", "/agents", 201, json={"name": "bot"})


async def test_list_filters_and_paginates_in_a_stable_order(signup: SignUp) -> None:
    owner = await signup()
    for n in range(5):
        await owner.ok(
            "POST",
            "/agents",
            201,
            json={"name": f"bot-{n}", "environment": "prod" if n % 2 else "dev"},
        )
    prod = await owner.ok("GET", "/agents", params={"environment": "prod"})
    assert sorted(a["name"] for a in prod["items"]) == ["bot-1", "bot-3"]
    names: list[str] = []
    params: dict[str, str] = {"limit": "2"}
    while True:
        page = await owner.ok("GET", "/agents", params=params)
        names += [a["name"] for a in page["items"]]
        if page["next_cursor"] is None:
            break
        params["cursor"] = page["next_cursor"]
    assert names == [f"bot-{n}" for n in reversed(range(5))]
    bad = await owner.call("GET", "/agents", params={"cursor": "garbage"})
    assert bad.status == 422
    assert (await bad.json())["error"]["details"][0]["field"] == "cursor"


async def test_a_team_lead_manages_only_its_own_teams_agents(signup: SignUp) -> None:
    owner = await signup()
    mine = await owner.ok("POST", "/teams", 201, json={"name": "mine"})
    await owner.ok("POST", "/teams", 201, json={"name": "theirs"})
    lead = await join(owner, signup, "team_lead", team_id=mine["id"])
    ours = await lead.ok("POST", "/agents", 201, json={"name": "ours", "team": "mine"})
    for body in ({"name": "x", "team": "theirs"}, {"name": "y"}):
        response = await lead.call("POST", "/agents", json=body)
        assert (response.status, (await response.json())["error"]["code"]) == (403, "outside_team")
    other = await owner.ok("POST", "/agents", 201, json={"name": "other", "team": "theirs"})
    assert (
        await lead.call("PATCH", f"/agents/{other['id']}", json={"status": "paused"})
    ).status == 403
    assert (await lead.call("DELETE", f"/agents/{other['id']}")).status == 403
    assert (
        await lead.call("PATCH", f"/agents/{ours['id']}", json={"team": "theirs"})
    ).status == 403
    await lead.ok("PATCH", f"/agents/{ours['id']}", json={"status": "paused"})


async def test_every_change_is_audited_with_before_after_and_request_id(signup: SignUp) -> None:
    owner = await signup()
    created = await owner.ok("POST", "/agents", 201, json={"name": "bot"})
    response = await owner.call(
        "PATCH",
        f"/agents/{created['id']}",
        json={"status": "killed"},
        headers={"X-Request-Id": "req-42"},
    )
    assert response.status == 200
    log = await owner.ok("GET", "/audit-logs", params={"entity_id": created["id"]})
    actions = [(e["action"], e["actor_label"]) for e in log["items"]]
    assert actions == [("agent.update", owner.email), ("agent.create", owner.email)]
    update = log["items"][0]
    assert (update["before"]["status"], update["after"]["status"]) == ("active", "killed")
    assert update["request_id"] == "req-42"


async def test_unknown_ids_are_404_in_the_error_shape(signup: SignUp) -> None:
    owner = await signup()
    for path in (f"/agents/{uuid.uuid4()}", "/agents/not-a-uuid"):
        response = await owner.call("GET", path)
        body = await response.json()
        assert response.status == 404
        assert body["error"]["code"] == "not_found"
