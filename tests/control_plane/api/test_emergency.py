"""The emergency API: rules in force, registry status, versions, audit, publishing, permissions."""

from __future__ import annotations

from typing import Any

from redis.asyncio import Redis

from agentops.settings import Settings
from agentops.statebus import RedisStateReader, decode_snapshot
from agentops.wire.control import ControlSnapshot
from tests.control_plane.conftest import Session, SignUp, api_key, join
from tests.harness.emergency import act, agent, team


async def published(settings: Settings, org: str) -> ControlSnapshot | None:
    cp = settings.control_plane
    assert cp.redis_url is not None
    client: Redis[Any] = Redis.from_url(cp.redis_url)
    try:
        raw = (await RedisStateReader(client, cp.redis_prefix).fetch([org]))[org]
    finally:
        await client.aclose()  # type: ignore[attr-defined]
    return None if raw is None else decode_snapshot(raw, org=org)


async def slug(session: Session) -> str:
    return str((await session.ok("GET", "/orgs/profile"))["slug"])


async def test_a_kill_is_stored_audited_and_published_with_its_reason(
    signup: SignUp, cp_settings: Settings
) -> None:
    owner = await signup()
    await team(owner, "research")
    await agent(owner, "scraper", team="research", environment="prod", tags={"tier": "gold"})

    result = await act(owner, "kill", scope="agent", target="scraper", reason="runaway loop")

    assert result["action"] == "kill"
    assert result["agents"] == ["scraper"]
    [rule] = result["rules"]
    assert rule["scope"] == "agent"
    assert rule["target"] == "scraper"
    snapshot = await published(cp_settings, await slug(owner))
    assert snapshot is not None
    assert snapshot.version == result["version"]
    assert [(r.scope, r.target, r.action, r.reason) for r in snapshot.rules] == [
        ("agent", "scraper", "kill", "runaway loop")
    ]
    assert snapshot.agents["scraper"] == {
        "team": "research",
        "tags": {"tier": "gold"},
        "environment": "prod",
        "status": "killed",
    }
    audit = await owner.ok("GET", "/audit-logs", params={"action": "emergency.kill"})
    assert [e["after"]["reason"] for e in audit["items"]] == ["runaway loop"]
    status_change = await owner.ok("GET", "/audit-logs", params={"action": "agent.update"})
    assert status_change["items"][0]["after"] == {"status": "killed"}


async def test_versions_only_move_forward_and_each_change_is_published(
    signup: SignUp, cp_settings: Settings
) -> None:
    owner = await signup()
    org = await slug(owner)
    versions = [
        (await act(owner, "pause", scope="org", reason="incident 42"))["version"],
        (await act(owner, "kill", scope="org", reason="incident 42, worse"))["version"],
        (await act(owner, "resume", scope="org"))["version"],
    ]
    assert versions == sorted(versions)
    assert len(set(versions)) == 3
    snapshot = await published(cp_settings, org)
    assert snapshot is not None
    assert snapshot.version == versions[-1]
    assert snapshot.rules == []
    status = await owner.ok("GET", "/emergency")
    assert status["version"] == versions[-1]
    assert status["rules"] == []


async def test_a_kill_over_a_pause_replaces_it(signup: SignUp) -> None:
    owner = await signup()
    await act(owner, "pause", scope="agent", target="bot", reason="look first", create=True)
    await act(owner, "kill", scope="agent", target="bot", reason="it is bad")
    rules = (await owner.ok("GET", "/emergency"))["rules"]
    assert [(r["action"], r["reason"]) for r in rules] == [("kill", "it is bad")]
    replaced = await owner.ok("GET", "/audit-logs", params={"action": "emergency.replace"})
    assert replaced["items"][0]["before"]["action"] == "pause"


async def test_resume_lifts_the_rule_and_reactivates_the_agent(signup: SignUp) -> None:
    owner = await signup()
    await agent(owner, "bot")
    await act(owner, "pause", scope="agent", target="bot", reason="budget review")
    result = await act(owner, "resume", scope="agent", target="bot", reason="reviewed")
    assert result["agents"] == ["bot"]
    assert result["rules"][0]["lifted_at"] is not None
    agents = await owner.ok("GET", "/agents")
    assert agents["items"][0]["status"] == "active"
    assert (await owner.ok("GET", "/emergency"))["rules"] == []


async def test_resuming_what_is_not_in_force_is_a_404(signup: SignUp) -> None:
    owner = await signup()
    response = await act(owner, "resume", 404, scope="team", target="nobody")
    assert response["error"]["code"] == "unknown_team"
    await team(owner, "ops")
    response = await act(owner, "resume", 404, scope="team", target="ops")
    assert response["error"]["code"] == "not_in_force"


async def test_bulk_controls_resolve_to_the_matching_agents_at_action_time(
    signup: SignUp,
) -> None:
    owner = await signup()
    await team(owner, "red")
    await agent(owner, "a1", tags={"pii": "yes"}, environment="prod")
    await agent(owner, "a2", tags={"pii": "no"}, environment="staging", team="red")
    await agent(owner, "a3", environment="prod", team="red")

    by_tag = await act(owner, "pause", scope="agents", selector={"tag": "pii"}, reason="audit")
    assert sorted(r["target"] for r in by_tag["rules"]) == ["a1", "a2"]
    by_value = await act(owner, "kill", scope="agents", selector={"tag": "pii=yes"}, reason="leak")
    assert [r["target"] for r in by_value["rules"]] == ["a1"]
    by_env = await act(owner, "kill", scope="agents", selector={"environment": "prod"}, reason="x")
    assert sorted(r["target"] for r in by_env["rules"]) == ["a1", "a3"]
    by_team = await act(owner, "resume", scope="agents", selector={"team": "red"})
    assert sorted(r["target"] for r in by_team["rules"]) == ["a2", "a3"]
    rules = (await owner.ok("GET", "/emergency"))["rules"]
    assert [(r["scope"], r["target"], r["action"]) for r in rules] == [("agent", "a1", "kill")]
    await act(owner, "kill", 404, scope="agents", selector={"tag": "absent"}, reason="x")


async def test_a_reason_is_required_and_requests_are_checked(signup: SignUp) -> None:
    owner = await signup()
    await act(owner, "kill", 422, scope="agent", target="bot")
    await act(owner, "kill", 422, scope="agent", target="bot", reason="")
    await act(owner, "kill", 422, scope="team", reason="no target")
    await act(owner, "kill", 422, scope="agents", reason="x", selector={"tag": "a", "team": "b"})
    await act(owner, "kill", 422, scope="org", target="someone-else", reason="x")


async def test_team_lead_acts_on_its_own_team_only(signup: SignUp) -> None:
    owner = await signup()
    mine = await team(owner, "mine")
    await team(owner, "theirs")
    await agent(owner, "my-bot", team="mine", tags={"k": "v"})
    await agent(owner, "their-bot", team="theirs", tags={"k": "v"})
    lead = await join(owner, signup, "team_lead", team_id=mine)

    await act(lead, "pause", scope="team", target="mine", reason="ok")
    await act(lead, "kill", scope="agent", target="my-bot", reason="ok")
    for body in (
        {"scope": "team", "target": "theirs"},
        {"scope": "agent", "target": "their-bot"},
        {"scope": "agent", "target": "unregistered"},
        {"scope": "org"},
        {"scope": "agents", "selector": {"team": "theirs"}},
    ):
        denied = await act(lead, "kill", 403, reason="no", **body)
        assert denied["error"]["code"] == "outside_team", body
    # A selector beyond the team is narrowed to it, not refused.
    by_tag = await act(lead, "pause", scope="agents", selector={"tag": "k"}, reason="ok")
    assert [r["target"] for r in by_tag["rules"]] == ["my-bot"]


async def test_viewers_read_status_but_may_not_act(signup: SignUp) -> None:
    owner = await signup()
    viewer = await join(owner, signup, "viewer")
    await viewer.ok("GET", "/emergency")
    await act(viewer, "kill", 403, scope="org", reason="no")


async def test_heartbeats_show_which_proxies_hold_the_current_version(signup: SignUp) -> None:
    owner = await signup()
    org = await slug(owner)
    ingest = await api_key(owner, "ingest")
    await agent(owner, "bot")
    v1 = (await act(owner, "kill", scope="agent", target="bot", reason="stop"))["version"]
    beat = await ingest.ok(
        "POST", "/proxies/heartbeat", json={"proxy_id": "p-1", "versions": {org: v1}}
    )
    assert beat == {"org": org, "version": v1, "applied": True}
    await ingest.ok("POST", "/proxies/heartbeat", json={"proxy_id": "p-2", "versions": {}})
    v2 = (await act(owner, "resume", scope="agent", target="bot"))["version"]

    proxies = (await owner.ok("GET", "/emergency"))["proxies"]
    assert [(p["proxy_id"], p["version"], p["applied"]) for p in proxies] == [
        ("p-1", v1, False),
        ("p-2", -1, False),
    ]
    await ingest.ok("POST", "/proxies/heartbeat", json={"proxy_id": "p-1", "versions": {org: v2}})
    proxies = (await owner.ok("GET", "/emergency"))["proxies"]
    assert [p["applied"] for p in proxies] == [True, False]
    # Users do not heartbeat; proxies' keys do not act.
    await owner.ok("POST", "/proxies/heartbeat", 403, json={"proxy_id": "x"})
    await act(ingest, "kill", 403, scope="org", reason="no")
