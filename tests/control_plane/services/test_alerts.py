"""Thresholds fire once per period; deliveries are signed, retried, dead-lettered and
re-sendable; e-mail goes through a real SMTP server; auto-pause pauses and the new period
resumes. Real receivers: an aiohttp server and an aiosmtpd server, both on free ports (the
receivers are on 127.0.0.1, which these tests allow as an on-premises receiver)."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from aiosmtpd.controller import Controller

from agentops.settings import Settings
from control_plane import app_keys
from control_plane.alerts import retry
from control_plane.alerts.destinations import DestinationPolicy
from control_plane.alerts.send import SendConfig
from control_plane.services import alerts
from control_plane.services.budget_watch import resume_ended
from tests.control_plane.alerts.test_signing import verify
from tests.harness.api_org import Org, app_of, call_record
from tests.harness.ports import free_port

LOCAL = ["127.0.0.1"]


@pytest.fixture
def cp_settings(cp_settings: Settings) -> Settings:
    cp_settings.control_plane.alert_allowed_internal_hosts = LOCAL
    return cp_settings


@dataclass
class Receiver:
    """A webhook receiver that answers the first ``failures`` posts with 500."""

    failures: int = 0
    received: list[tuple[dict[str, str], bytes]] = field(default_factory=list)
    url: str = ""

    async def handle(self, request: web.Request) -> web.Response:
        self.received.append((dict(request.headers), await request.read()))
        if self.failures > 0:
            self.failures -= 1
            return web.Response(status=500, text="not now")
        return web.Response(status=204)


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    state = Receiver()
    app = web.Application()
    app.router.add_post("/hook", state.handle)
    server = TestServer(app, port=0)
    await server.start_server()
    state.url = str(server.make_url("/hook"))
    yield state
    await server.close()


class Inbox:
    def __init__(self) -> None:
        self.messages: list[bytes] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append(envelope.content)
        return "250 OK"


@pytest.fixture
def smtp() -> Any:
    inbox = Inbox()
    port = free_port()  # aiosmtpd probes its own port when starting, so it needs a real one
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    yield controller, inbox
    controller.stop()


def config(port: int = 1) -> SendConfig:
    return SendConfig(
        "127.0.0.1", port, "alerts@example.com", 5.0, DestinationPolicy.from_entries(LOCAL)
    )


async def deliver(org: Org, at: datetime, send: SendConfig | None = None) -> int:
    app = app_of(org)
    return await alerts.deliver_due(
        app[app_keys.DATABASE], send or config(), at, app[app_keys.SECRET_BOX]
    )


async def cross_threshold(org: Org, *, limit: str = "10", spend: list[str]) -> dict[str, Any]:
    await org.agent("bot")
    budget: dict[str, Any] = await org.owner.ok("POST", "/budgets", 201, json={
        "name": "bot-daily", "scope": "agent", "target": "bot", "period": "daily",
        "limit_usd": limit, "threshold_alert_percent": [50, 80],
    })  # fmt: skip
    now = datetime.now(UTC)
    for cost in spend:
        await org.ingest_calls(call_record(org.slug, "bot", cost, now))
    return budget


async def test_a_threshold_fires_once_per_period_to_every_channel(
    org: Org, receiver: Receiver
) -> None:
    channel = await org.owner.ok("POST", "/alerts/channels", 201, json={
        "name": "ops", "kind": "webhook", "url": receiver.url,
    })  # fmt: skip
    await cross_threshold(org, spend=["4", "1.5", "0.1", "0.1", "2.5"])  # 40%, 55, 56, 57, 82%
    page = await org.owner.ok("GET", "/alerts/deliveries")
    events = sorted(d["payload"]["threshold_percent"] for d in page["items"])
    assert events == ["50", "80"]
    assert all(d["status"] == "pending" for d in page["items"])

    assert await deliver(org, datetime.now(UTC)) == 2
    assert len(receiver.received) == 2
    for headers, body in receiver.received:
        assert verify(channel["secret"], headers, body)
    page = await org.owner.ok("GET", "/alerts/deliveries", params={"status": "delivered"})
    assert len(page["items"]) == 2


async def test_retry_with_backoff_until_the_receiver_accepts(org: Org, receiver: Receiver) -> None:
    receiver.failures = 2
    await org.owner.ok(
        "POST",
        "/alerts/channels",
        201,
        json={"name": "ops", "kind": "webhook", "url": receiver.url},
    )
    await cross_threshold(org, spend=["6"])  # 60%: one alert
    now = datetime.now(UTC)
    assert await deliver(org, now) == 1
    assert await deliver(org, now) == 0  # not due before its backoff
    [item] = (await org.owner.ok("GET", "/alerts/deliveries"))["items"]
    assert (item["status"], item["attempts"]) == ("pending", 1)
    assert item["last_error"].startswith("HTTP 500")
    assert await deliver(org, now + timedelta(hours=1)) == 1
    assert await deliver(org, now + timedelta(hours=2)) == 1
    [item] = (await org.owner.ok("GET", "/alerts/deliveries"))["items"]
    assert (item["status"], item["attempts"]) == ("delivered", 3)
    ids = {headers["webhook-id"] for headers, _ in receiver.received}
    assert len(ids) == 1  # the same message id on every try: receivers deduplicate on it


async def test_dead_letter_after_the_last_try_then_resend(org: Org, receiver: Receiver) -> None:
    receiver.failures = retry.MAX_ATTEMPTS
    await org.owner.ok(
        "POST",
        "/alerts/channels",
        201,
        json={"name": "ops", "kind": "webhook", "url": receiver.url},
    )
    await cross_threshold(org, spend=["6"])
    at = datetime.now(UTC)
    for _ in range(retry.MAX_ATTEMPTS):
        assert await deliver(org, at) == 1
        at += retry.MAX_DELAY
    [dead] = (await org.owner.ok("GET", "/alerts/deliveries", params={"status": "dead"}))["items"]
    assert dead["attempts"] == retry.MAX_ATTEMPTS
    assert await deliver(org, at + timedelta(days=1)) == 0  # dead letters are not retried

    resent = await org.owner.ok("POST", f"/alerts/deliveries/{dead['id']}/resend")
    assert resent["status"] == "pending"
    assert resent["attempts"] == 0
    assert await deliver(org, datetime.now(UTC) + timedelta(seconds=1)) == 1
    [done] = (await org.owner.ok("GET", "/alerts/deliveries"))["items"]
    assert done["status"] == "delivered"


async def test_email_and_slack_channels(org: Org, receiver: Receiver, smtp: Any) -> None:
    controller, inbox = smtp
    await org.owner.ok("POST", "/alerts/channels", 201, json={
        "name": "finance", "kind": "email", "recipients": ["cfo@example.com"],
    })  # fmt: skip
    await org.owner.ok(
        "POST",
        "/alerts/channels",
        201,
        json={"name": "slack", "kind": "slack", "url": receiver.url},
    )
    await cross_threshold(org, spend=["6"])
    assert await deliver(org, datetime.now(UTC), config(controller.port)) == 2
    [mail] = inbox.messages
    assert b"To: cfo@example.com" in mail
    assert b"bot-daily" in mail
    [(headers, body)] = receiver.received
    assert b'"text": "Budget' in body
    assert "webhook-signature" not in headers


async def test_channels_crud_hides_the_secret_after_creation(org: Org) -> None:
    created = await org.owner.ok("POST", "/alerts/channels", 201, json={
        "name": "ops", "kind": "webhook", "url": "https://93.184.215.14/hook",
    })  # fmt: skip
    assert created["secret"].startswith("whsec_")
    shown = await org.owner.ok("GET", f"/alerts/channels/{created['id']}")
    assert "secret" not in shown
    assert shown["has_secret"] is True
    rotated = await org.owner.ok(
        "PATCH", f"/alerts/channels/{created['id']}", json={"rotate_secret": True}
    )
    assert rotated["secret"] not in (None, created["secret"])
    bad = await org.owner.call(
        "POST", "/alerts/channels", json={"name": "x", "kind": "email", "url": "https://a.b/c"}
    )
    assert bad.status == 422
    await org.owner.ok("DELETE", f"/alerts/channels/{created['id']}", 204)


async def test_auto_pause_pauses_the_agent_and_the_new_period_resumes_it(org: Org) -> None:
    await org.agent("bot")
    budget = await org.owner.ok("POST", "/budgets", 201, json={
        "name": "bot-daily", "scope": "agent", "target": "bot", "period": "daily",
        "limit_usd": "10", "auto_pause_at_percent": 90,
    })  # fmt: skip
    now = datetime.now(UTC)
    await org.ingest_calls(call_record(org.slug, "bot", "9.5", now))
    status = await org.owner.ok("GET", "/emergency")
    [rule] = status["rules"]
    assert (rule["scope"], rule["target"], rule["action"]) == ("agent", "bot", "pause")
    assert rule["reason"] == "budget bot-daily reached"
    shown = await org.owner.ok("GET", f"/budgets/{budget['id']}")
    assert shown["paused"] is True
    audit = await org.owner.ok("GET", "/audit-logs", params={"action": "emergency.pause"})
    assert audit["items"][0]["actor_type"] == "system"
    assert audit["items"][0]["actor_label"] == "budget bot-daily"

    await org.ingest_calls(call_record(org.slug, "bot", "1", now))  # no second pause
    assert len((await org.owner.ok("GET", "/emergency"))["rules"]) == 1

    app = app_of(org)
    org_id = uuid.UUID(org.owner.org_id)
    async with app[app_keys.DATABASE].transaction(org_id) as session:
        assert await resume_ended(session, org_id, now) == []  # same period: stays paused
    async with app[app_keys.DATABASE].transaction(org_id) as session:
        assert await resume_ended(session, org_id, now + timedelta(days=1)) == ["bot-daily"]
    assert (await org.owner.ok("GET", "/emergency"))["rules"] == []
    agent = (await org.owner.ok("GET", "/agents"))["items"][0]
    assert agent["status"] == "active"


async def test_concurrent_batches_crossing_a_threshold_alert_once(
    org: Org, receiver: Receiver
) -> None:
    await org.owner.ok(
        "POST",
        "/alerts/channels",
        201,
        json={"name": "ops", "kind": "webhook", "url": receiver.url},
    )
    await org.agent("bot")
    await org.owner.ok("POST", "/budgets", 201, json={
        "name": "org", "scope": "org", "period": "monthly", "limit_usd": "1",
        "threshold_alert_percent": [50],
    })  # fmt: skip
    now = datetime.now(UTC)
    await asyncio.gather(
        *(org.ingest_calls(call_record(org.slug, "bot", "0.2", now)) for _ in range(8))
    )
    page = await org.owner.ok("GET", "/alerts/deliveries")
    assert len(page["items"]) == 1
