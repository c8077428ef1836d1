"""Run-scope budgets alert like the other scopes (once per run and threshold), and a budget can
name an agent that has not called yet (it is registered, audited)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from agentops.settings import Settings
from tests.harness.api_org import Org, call_record


@pytest.fixture
def cp_settings(cp_settings: Settings) -> Settings:
    """The alert channel's webhook is on loopback, which the SSRF guard refuses by default."""
    cp_settings.control_plane.alert_allowed_internal_hosts = ["127.0.0.1"]
    return cp_settings


async def test_a_budget_for_an_agent_that_has_not_called_yet_registers_it(org: Org) -> None:
    await org.owner.ok("POST", "/budgets", 201, json={
        "name": "newbie-daily", "scope": "agent", "target": "newbie", "period": "daily",
        "limit_usd": "5", "enforcement": "hard",
    })  # fmt: skip
    agents = await org.owner.ok("GET", "/agents")
    assert [a["name"] for a in agents["items"]] == ["newbie"]
    audit = await org.owner.ok("GET", "/audit-logs", params={"action": "agent.create"})
    assert [e["after"]["name"] for e in audit["items"]] == ["newbie"]
    invalid = await org.owner.ok("POST", "/budgets", 422, json={
        "name": "bad", "scope": "agent", "target": "not a name!", "limit_usd": "5",
    })  # fmt: skip
    assert "not a valid agent name" in invalid["error"]["message"]


async def test_run_budgets_fire_threshold_alerts_once_per_run(org: Org) -> None:
    await org.owner.ok("POST", "/alerts/channels", 201, json={
        "name": "ops", "kind": "webhook", "url": "http://127.0.0.1:9/hook",
    })  # fmt: skip
    await org.owner.ok("POST", "/budgets", 201, json={
        "name": "per-run", "scope": "run", "target": "bot", "limit_usd": "1",
        "threshold_alert_percent": [50, 90],
    })  # fmt: skip
    now = datetime.now(UTC)
    for run_id, cost in [("r1", "0.3"), ("r1", "0.3"), ("r2", "0.3"), ("r1", "0.1"),
                         ("r2", "0.3"), ("r2", "0.05")]:  # fmt: skip
        await org.ingest_calls(call_record(org.slug, "bot", cost, now, run_id=run_id))
    page = await org.owner.ok("GET", "/alerts/deliveries")
    fired = sorted(
        (d["payload"]["run_id"], d["payload"]["threshold_percent"]) for d in page["items"]
    )
    print(f"\nrun budget alerts: {fired}")
    assert fired == [("r1", "50"), ("r2", "50")]  # r1: 60%, 70%; r2: 30%, 60%, 65%
    await org.ingest_calls(call_record(org.slug, "bot", "0.3", now, run_id="r1"))  # r1: 100%
    page = await org.owner.ok("GET", "/alerts/deliveries")
    assert len(page["items"]) == 3
