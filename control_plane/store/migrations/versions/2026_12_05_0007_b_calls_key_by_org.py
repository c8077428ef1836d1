"""calls key by org: deduplicate calls per org, not across every org

The primary key (and idempotency key) of ``calls`` was ``(call_id, started_at)`` across all
orgs, so org A re-sending org B's call ids got "duplicate" (learning the call exists) and lost
its own record. It becomes ``(org_id, call_id, started_at)``. On PostgreSQL the constraint of
the partitioned parent is replaced, which rebuilds the index of every monthly partition under
an exclusive lock: run it in a maintenance window on a large history.

Revision ID: 0007_b
Revises: 0007
Create Date: 2026-12-05 04:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

from control_plane.store.rls import is_postgres

revision: str = "0007_b"
down_revision: str | Sequence[str] | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _rekey(columns: list[str]) -> None:
    if is_postgres():
        op.drop_constraint("pk_calls", "calls", type_="primary")
        op.create_primary_key("pk_calls", "calls", columns)
        return
    with op.batch_alter_table("calls", recreate="always") as batch:
        batch.drop_constraint("pk_calls", type_="primary")
        batch.create_primary_key("pk_calls", columns)


def upgrade() -> None:
    _rekey(["org_id", "call_id", "started_at"])


def downgrade() -> None:
    _rekey(["call_id", "started_at"])
