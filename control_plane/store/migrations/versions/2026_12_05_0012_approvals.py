"""approvals: calls held for an approver (row-level security on PostgreSQL)

Revision ID: 0012
Revises: 0006
Create Date: 2026-12-05 05:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from control_plane.store.rls import APP_ROLE, drop_org_protection, is_postgres, protect_org_table

TS = sa.DateTime(timezone=True)
JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")

revision: str = "0012"
down_revision: str | Sequence[str] | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "approval_requests",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("org_id", sa.Uuid(), nullable=False),
        sa.Column("agent", sa.String(length=200), nullable=False),
        sa.Column("run_id", sa.String(length=200), nullable=False),
        sa.Column("provider", sa.String(length=50), nullable=False),
        sa.Column("model", sa.String(length=200), nullable=True),
        sa.Column("policy_id", sa.String(length=64), nullable=False),
        sa.Column("policy_name", sa.String(length=100), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("estimated_cost_usd", sa.Numeric(20, 10), nullable=True),
        sa.Column("excerpt", sa.Text(), nullable=True),
        sa.Column("key_id", sa.String(length=100), nullable=True),
        sa.Column("requester_user_id", sa.Uuid(), nullable=True),
        sa.Column("proxy_id", sa.String(length=200), nullable=False),
        sa.Column("approver_roles", JSON, nullable=False),
        sa.Column("approver_members", JSON, nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("coverage", sa.String(length=4), nullable=True),
        sa.Column("decided_by", sa.String(length=320), nullable=True),
        sa.Column("decided_by_user_id", sa.Uuid(), nullable=True),
        sa.Column("decided_at", TS, nullable=True),
        sa.Column("decision_reason", sa.Text(), nullable=True),
        sa.Column("requested_at", TS, nullable=False),
        sa.Column("expires_at", TS, nullable=False),
        sa.ForeignKeyConstraint(
            ["org_id"],
            ["organizations.id"],
            name=op.f("fk_approval_requests_org_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_approval_requests")),
    )
    op.create_index(
        op.f("ix_approval_requests_org_id_status_requested_at"),
        "approval_requests",
        ["org_id", "status", "requested_at"],
        unique=False,
    )
    protect_org_table("approval_requests")


def downgrade() -> None:
    if is_postgres():
        op.execute(f"REVOKE ALL ON approval_requests FROM {APP_ROLE}")
        drop_org_protection("approval_requests")
    op.drop_index(
        op.f("ix_approval_requests_org_id_status_requested_at"), table_name="approval_requests"
    )
    op.drop_table("approval_requests")
