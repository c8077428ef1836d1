"""proxy state age: when each proxy last confirmed its control state, and its staleness bound

A proxy cut off from Redis keeps heartbeating over HTTP; the heartbeat carries the age of its
control state, stored as the moment it was last confirmed, so ``/emergency`` and
``agentops status`` can name a stale proxy and how old its state is (and the age keeps growing
when the heartbeats stop).

Revision ID: 0010
Revises: 0006
Create Date: 2026-12-05 04:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from control_plane.store.tables._base import UTCDateTime

revision: str = "0010"
down_revision: str | Sequence[str] | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("proxy_heartbeats") as batch:
        batch.add_column(sa.Column("state_confirmed_at", UTCDateTime(), nullable=True))
        batch.add_column(sa.Column("state_max_age_seconds", sa.Float(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("proxy_heartbeats") as batch:
        batch.drop_column("state_max_age_seconds")
        batch.drop_column("state_confirmed_at")
