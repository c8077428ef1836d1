"""/budgets: CRUD, derived fields, read-only fields refused, and the rules proxies enforce."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from agentops.statebus import decode_snapshot
from control_plane import app_keys
from control_plane.app import JOBS
from control_plane.services.budgets import budget_rules
from control_plane.store.engine import create_database
from tests.control_plane.conftest import join
from tests.harness.api_org import Org, app_of, call_record


async def test_create_list_update_delete_with_derived_spend(org: Org) -> None:
    await org.agent("bot")
    now = datetime.now(UTC)
    await org.ingest_calls(
        call_record(org.slug, "bot", "1.25", now - timedelta(seconds=5)),
        call_record(org.slug, "bot", "0.75", now - timedelta(seconds=4)),
        call_record(org.slug, "bot", None, now - timedelta(seconds=3)),  # unpriced: no cost
    )
    created = await org.owner.ok("POST", "/budgets", 201, json={
        "name": "bot-monthly", "scope": "agent", "target": "bot", "period": "monthly",
        "limit_usd": "10", "threshold_alert_percent": [50, 80], "enforcement": "hard",
    })  # fmt: skip
    assert created["current_spend_usd"] == "2.0000000000"
    assert created["current_calls"] == 3
    assert Decimal(created["percent_used"]) == Decimal("20.00")
    assert created["period_key"] == f"m:{now:%Y-%m}"
    assert created["target"] == "bot"
    assert created["enforcement"] == "hard"
    assert Decimal(created["forecast_usd"]) >= Decimal("2")

    page = await org.owner.ok("GET", "/budgets")
    assert [b["name"] for b in page["items"]] == ["bot-monthly"]
    patched = await org.owner.ok("PATCH", f"/budgets/{created['id']}", json={"limit_usd": "4"})
    assert Decimal(patched["percent_used"]) == Decimal("50.00")
    await org.owner.ok("DELETE", f"/budgets/{created['id']}", 204)
    missing = await org.owner.call("GET", f"/budgets/{created['id']}")
    assert missing.status == 404


async def test_read_only_fields_are_refused_with_a_clear_400(org: Org) -> None:
    response = await org.owner.call("POST", "/budgets", json={
        "name": "b", "scope": "org", "limit_usd": "5", "current_spend_usd": "0",
    })  # fmt: skip
    assert response.status == 400
    error = (await response.json())["error"]
    assert error["code"] == "read_only_field"
    assert "read-only field: current_spend_usd" in error["message"]


async def test_invalid_shapes_are_422(org: Org) -> None:
    cases = [
        {"name": "a", "scope": "team", "target": "nope", "limit_usd": "5"},
        {"name": "a", "scope": "org", "target": "x", "limit_usd": "5"},
        {"name": "a", "scope": "org", "period": "custom", "limit_usd": "5"},
        {"name": "a", "scope": "org", "limit_usd": "5", "max_calls": 3},
        {"name": "a", "scope": "org", "limit_usd": "-1"},
    ]
    for body in cases:
        response = await org.owner.call("POST", "/budgets", json=body)
        assert response.status == 422, body


async def test_viewers_read_budgets_but_only_admins_write_them(org: Org, signup: object) -> None:
    viewer = await join(org.owner, signup, "viewer")  # type: ignore[arg-type]
    await viewer.ok("GET", "/budgets")
    response = await viewer.call(
        "POST", "/budgets", json={"name": "x", "scope": "org", "limit_usd": "1"}
    )
    assert response.status == 403


async def test_budget_rules_carry_hard_budgets_with_their_current_period(
    org: Org, cp_settings: object
) -> None:
    team = await org.team("research")
    await org.agent("bot", team="research")
    await org.owner.ok("POST", "/budgets", 201, json={
        "name": "team-daily", "scope": "team", "target": team["name"], "period": "daily",
        "limit_usd": "3.5", "enforcement": "hard", "model": "gpt-4o",
    })  # fmt: skip
    await org.owner.ok("POST", "/budgets", 201, json={
        "name": "per-run", "scope": "run", "target": "bot", "period": "daily", "limit_usd": "1",
        "max_calls": 20, "enforcement": "hard",
    })  # fmt: skip
    await org.owner.ok(
        "POST", "/budgets", 201, json={"name": "soft", "scope": "org", "limit_usd": "1"}
    )
    database = create_database(cp_settings.control_plane.database_url)  # type: ignore[attr-defined]
    now = datetime(2026, 11, 27, 12, tzinfo=UTC)
    async with database.transaction(uuid.UUID(org.owner.org_id)) as session:
        rules = await budget_rules(session, uuid.UUID(org.owner.org_id), now)
    await database.dispose()
    by_name = {rule.name: rule for rule in rules}
    assert set(by_name) == {"team-daily", "per-run"}
    team_rule = by_name["team-daily"]
    assert (team_rule.scope, team_rule.target, team_rule.model) == ("team", "research", "gpt-4o")
    assert team_rule.limit_usd == Decimal("3.5")
    assert team_rule.period_key == "d:2026-11-27"
    assert team_rule.period_end == datetime(2026, 11, 28, tzinfo=UTC)
    assert by_name["per-run"].max_calls == 20
    assert by_name["per-run"].target == "bot"


async def test_a_hard_budget_change_is_published_to_the_proxies(org: Org) -> None:
    app = app_of(org)
    before = await app[app_keys.STATE_BUS].reader.versions()
    await org.owner.ok("POST", "/budgets", 201, json={
        "name": "hard", "scope": "org", "limit_usd": "1", "enforcement": "hard",
    })  # fmt: skip
    after = await app[app_keys.STATE_BUS].reader.versions()
    assert after.get(org.slug, -1) > before.get(org.slug, -1)
    raw = (await app[app_keys.STATE_BUS].reader.fetch([org.slug]))[org.slug]
    assert raw is not None
    assert [b.name for b in decode_snapshot(raw).budgets] == ["hard"]


def test_the_app_registers_the_budget_jobs() -> None:
    budget_jobs = {"deliver_alerts", "resume_paused_budgets", "rebuild_spend_counters"}
    assert budget_jobs <= {job.name for job in JOBS}
