"""An enforced ``alert`` policy, and a ``pause_run`` that paused a run, reach the org's
notification channels: ingested through the real ingest API, queued in its transaction,
delivered by the alerts machinery to a live webhook receiver, once per policy and run."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest

from agentops.settings import Settings
from tests.control_plane.services.test_alerts import LOCAL, Receiver, deliver
from tests.control_plane.services.test_alerts import receiver as receiver
from tests.harness.api_org import Org, call_record


@pytest.fixture
def cp_settings(cp_settings: Settings) -> Settings:
    cp_settings.control_plane.alert_allowed_internal_hosts = LOCAL
    return cp_settings


def matched(
    record: dict[str, Any], action: str, *, applied: bool = True, run: str = ""
) -> dict[str, Any]:
    outcome = {"policy_id": f"pol-{action}", "name": f"the-{action}", "action": action,
               "applied": applied, "reason": "runaway loop: the same prompt 5 times in 60s"}  # fmt: skip
    return record | {"policies": [outcome]} | ({"run_id": run} if run else {})


async def test_alert_and_pause_run_policies_reach_the_webhook_once_per_run(
    org: Org, receiver: Receiver
) -> None:
    await org.owner.ok("POST", "/alerts/channels", 201,
                       json={"name": "ops", "kind": "webhook", "url": receiver.url})  # fmt: skip
    await org.agent("bot")
    now = datetime.now(UTC)
    plain = call_record(org.slug, "bot", "0.01", now)
    await org.ingest_calls(
        matched(plain, "alert", run="r1"),
        matched(call_record(org.slug, "bot", "0.01", now), "alert", run="r1"),  # same run
        matched(call_record(org.slug, "bot", "0.01", now), "alert", applied=False, run="r2"),
        matched(call_record(org.slug, "bot", None, now), "pause_run", run="r3")
        | {"status": "refused", "refusal_reason": "policy:the-pause_run", "http_status": 403},
    )
    await org.ingest_calls(matched(call_record(org.slug, "bot", "0.01", now), "alert", run="r1"))
    assert await deliver(org, datetime.now(UTC)) == 2
    bodies = sorted((json.loads(body) for _, body in receiver.received), key=lambda b: b["type"])
    assert [b["type"] for b in bodies] == ["policy.alert", "run.paused"]
    alert, paused = bodies
    assert (alert["run_id"], alert["policy"]["name"], alert["agent"]) == ("r1", "the-alert", "bot")
    assert paused["run_id"] == "r3"
    assert "Run r3 of agent bot was paused by policy 'the-pause_run'" in paused["message"]
    assert "other runs go on" in paused["message"]
