"""budget top-ups through the approvals flow: an approval request may ask for a temporary
increase of a hard budget (amount, how long), granted until ``topup_until`` once approved

Revision ID: 0021_pol
Revises: 0020
Create Date: 2026-12-05 06:30:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0021_pol"
down_revision: str | Sequence[str] | None = "0020"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("approval_requests", sa.Column("topup_budget_id", sa.Uuid(), nullable=True))
    op.add_column("approval_requests", sa.Column("topup_usd", sa.Numeric(20, 10), nullable=True))
    op.add_column("approval_requests", sa.Column("topup_seconds", sa.Integer(), nullable=True))
    op.add_column(
        "approval_requests",
        sa.Column("topup_until", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_index(
        op.f("ix_approval_requests_org_id_topup_budget_id"),
        "approval_requests",
        ["org_id", "topup_budget_id"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index(
        op.f("ix_approval_requests_org_id_topup_budget_id"), table_name="approval_requests"
    )
    for column in ("topup_until", "topup_seconds", "topup_usd", "topup_budget_id"):
        op.drop_column("approval_requests", column)
