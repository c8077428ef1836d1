"""Migration 0005 merges the three heads into one (history stays linear after it) and can be
rolled back and re-applied."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from alembic import command
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, insert, inspect, select

from control_plane.store.migrate import alembic_config, head_revisions, sync_url, upgrade
from control_plane.store.tables import Base


def _tables(url: str) -> set[str]:
    engine = create_engine(sync_url(url))
    try:
        return set(inspect(engine).get_table_names())
    finally:
        engine.dispose()


def test_0005_merges_the_others_into_one_line_of_history() -> None:
    assert head_revisions() == {
        "0022_pol2"
    }  # 0020 merged the second wave; 0021_pol, _cli, 0022_pol2
    script = ScriptDirectory.from_config(alembic_config("sqlite://"))
    merge = script.get_revision("0005")
    assert merge is not None
    assert merge.down_revision == ("0002", "0003", "0004")


def test_0005_downgrades_and_upgrades_again(store_url: str) -> None:
    assert {"price_overrides", "cost_corrections"} <= _tables(store_url)
    command.downgrade(alembic_config(store_url), "0004")
    assert not {"price_overrides", "cost_corrections"} & _tables(store_url)
    upgrade(store_url)
    assert {"price_overrides", "cost_corrections"} <= _tables(store_url)


def test_0022_copies_each_policy_alert_key_once_per_channel(store_url: str) -> None:
    command.downgrade(alembic_config(store_url), "0021_cli")
    tables = Base.metadata.tables
    org, channel = uuid.uuid4(), uuid.uuid4()
    engine = create_engine(sync_url(store_url))
    try:
        with engine.begin() as conn:
            conn.execute(insert(tables["organizations"]).values(
                id=org, slug=f"o-{org.hex[:8]}", name="o", timezone="UTC"))  # fmt: skip
            conn.execute(insert(tables["notification_channels"]).values(
                id=channel, org_id=org, name="ops", kind="webhook", enabled=True))  # fmt: skip
            deliveries = tables["alert_deliveries"]
            for n, (event, payload) in enumerate([
                ("run.paused", {"dedupe": "k1"}), ("run.paused", {"dedupe": "k1"}),  # a race
                ("policy.alert", {"dedupe": "k1"}), ("budget.threshold", {"dedupe": "x"}),
            ]):  # fmt: skip
                conn.execute(insert(deliveries).values(
                    org_id=org, channel_id=channel, event_type=event, payload=payload,
                    created_at=datetime(2026, 12, 1, 0, n, tzinfo=UTC)))  # fmt: skip
        upgrade(store_url)
        with engine.connect() as conn:
            rows = conn.execute(
                select(deliveries.c.event_type, deliveries.c.dedupe_key)
                .where(deliveries.c.org_id == org)
                .order_by(deliveries.c.created_at)
            ).all()
    finally:
        engine.dispose()
    assert [tuple(r) for r in rows] == [
        ("run.paused", "k1"), ("run.paused", None), ("policy.alert", "k1"),
        ("budget.threshold", None),
    ]  # fmt: skip
