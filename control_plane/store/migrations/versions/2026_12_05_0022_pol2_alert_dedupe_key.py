"""pol2 alert dedupe key: a policy alert's dedupe key in its own column, unique per channel

Policy alerts (``policy.alert``, ``run.paused``) are queued once per cause; the check looked
the key up inside the JSON payload with no index, scanning every delivery of the org and type
on each ingested call that matched an alerting policy. The key gets a column and a unique
index (org, type, key, channel), which serves the lookup and holds under racing ingests.
Existing keys are copied from the payloads (the first delivery per channel keeps it).

Revision ID: 0022_pol2
Revises: 0021_cli
Create Date: 2026-12-05 07:50:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0022_pol2"
down_revision: str | Sequence[str] | None = "0021_cli"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

INDEX = "ix_alert_deliveries_org_id_event_type_dedupe_key_channel_id"
DELIVERIES = sa.table(
    "alert_deliveries",
    sa.column("id", sa.Uuid()), sa.column("org_id", sa.Uuid()),
    sa.column("channel_id", sa.Uuid()), sa.column("event_type", sa.String()),
    sa.column("payload", sa.JSON()), sa.column("dedupe_key", sa.String()),
    sa.column("created_at", sa.DateTime(timezone=True)),
)  # fmt: skip
POLICY_EVENTS = ("policy.alert", "run.paused")


def upgrade() -> None:
    op.add_column("alert_deliveries", sa.Column("dedupe_key", sa.String(64), nullable=True))
    connection = op.get_bind()
    rows = connection.execute(
        sa.select(DELIVERIES.c.id, DELIVERIES.c.org_id, DELIVERIES.c.channel_id,
                  DELIVERIES.c.event_type, DELIVERIES.c.payload)
        .where(DELIVERIES.c.event_type.in_(POLICY_EVENTS))
        .order_by(DELIVERIES.c.created_at, DELIVERIES.c.id)
    )  # fmt: skip
    seen: set[tuple[object, ...]] = set()
    for row in rows.all():
        key = (row.payload or {}).get("dedupe")
        cause = (row.org_id, row.event_type, key, row.channel_id)
        if not isinstance(key, str) or cause in seen:
            continue
        seen.add(cause)
        connection.execute(
            sa.update(DELIVERIES).where(DELIVERIES.c.id == row.id).values(dedupe_key=key[:64])
        )
    op.create_index(
        op.f(INDEX),
        "alert_deliveries",
        ["org_id", "event_type", "dedupe_key", "channel_id"],
        unique=True,
    )


def downgrade() -> None:
    op.drop_index(op.f(INDEX), table_name="alert_deliveries")
    op.drop_column("alert_deliveries", "dedupe_key")
