"""The store queries behind spend, alerts and reports hold on both engines (PostgreSQL and
the embedded SQLite), exactly."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from agentops.ids import uuid7
from control_plane.ingest.batch import IngestTarget, ingest_records
from control_plane.reports import Names, build_lines, totals
from control_plane.services import alerts
from control_plane.store import budgets as store
from control_plane.store import orgs
from control_plane.store.engine import create_database
from control_plane.store.reports import cost_facts
from control_plane.store.tables import Agent, NotificationChannel
from tests.harness.api_org import call_record

T0 = datetime(2026, 11, 2, 23, 50, tzinfo=UTC)


async def test_spend_events_and_report_facts(store_url: str) -> None:
    database = create_database(store_url)
    org_id = uuid7()
    async with database.transaction() as session:
        await orgs.create_org(
            session, org_id=org_id, slug="acme", name="Acme", timezone="Europe/Paris"
        )
    async with database.transaction(org_id) as session:
        session.add(Agent(org_id=org_id, name="bot"))
        session.add(
            NotificationChannel(org_id=org_id, name="ops", kind="slack", url="https://x.example/h")
        )
        await session.flush()
        records = [
            call_record("acme", "bot", "0.0000000001", T0),
            call_record("acme", "bot", "12.3456789012", T0 + timedelta(minutes=20)),
            call_record("acme", "bot", None, T0 + timedelta(days=1)),
        ]
        answer = await ingest_records(session, IngestTarget(org_id, "acme"), records, derived=())
        assert answer.stored == 3
        budget = await store.create_budget(
            session, org_id=org_id, name="b", scope="org", period="monthly",
            limit_usd=Decimal("20"), threshold_alert_percent=["50"], hard=True,
        )  # fmt: skip
    async with database.transaction(org_id) as session:
        spend = await store.window_spend(session, budget, T0, T0 + timedelta(days=2))
        assert spend.cost_usd == Decimal("12.3456789013")
        assert spend.calls == 3
        first = await store.record_alert_event(
            session, budget, period_key="m:2026-11", kind="threshold", threshold=Decimal(50),
            spend_usd=spend.cost_usd,
        )  # fmt: skip
        again = await store.record_alert_event(
            session, budget, period_key="m:2026-11", kind="threshold", threshold=Decimal(50),
            spend_usd=spend.cost_usd,
        )  # fmt: skip
        assert first is not None
        assert again is None
        [delivery] = await alerts.enqueue(session, org_id, "budget.threshold", {"x": 1})
        assert delivery.status == "pending"
        facts = await cost_facts(session, org_id, T0, T0 + timedelta(days=2), buckets=True)
    assert {f.bucket for f in facts} == {
        datetime(2026, 11, 2, 23, 45, tzinfo=UTC),
        datetime(2026, 11, 3, 0, 0, tzinfo=UTC),
        datetime(2026, 11, 3, 23, 45, tzinfo=UTC),
    }
    lines = build_lines(facts, ["day"], Names(org="acme"), "Europe/Paris")
    assert [line.keys["day"] for line in lines] == ["2026-11-03", "2026-11-04"]
    assert totals(lines).cost_usd == Decimal("12.3456789013")
    async with database.transaction() as session:
        assert org_id in await store.org_ids_with_budgets(session)
    await database.dispose()
