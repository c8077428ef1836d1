"""policies: each org's policy documents (row-level security on PostgreSQL)

Revision ID: 0011
Revises: 0006
Create Date: 2026-12-05 03:40:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from control_plane.store.rls import APP_ROLE, drop_org_protection, is_postgres, protect_org_table

TS = sa.DateTime(timezone=True)
JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")

revision: str = "0011"
down_revision: str | Sequence[str] | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "policies",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("org_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("mode", sa.String(length=10), nullable=False),
        sa.Column("spec", JSON, nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("created_by", sa.String(length=320), nullable=True),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
        sa.ForeignKeyConstraint(
            ["org_id"],
            ["organizations.id"],
            name=op.f("fk_policies_org_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_policies")),
        sa.UniqueConstraint("org_id", "name", name=op.f("uq_policies_org_id_name")),
    )
    op.create_index(op.f("ix_policies_org_id_id"), "policies", ["org_id", "id"], unique=False)
    protect_org_table("policies")


def downgrade() -> None:
    if is_postgres():
        op.execute(f"REVOKE ALL ON policies FROM {APP_ROLE}")
        drop_org_protection("policies")
    op.drop_index(op.f("ix_policies_org_id_id"), table_name="policies")
    op.drop_table("policies")
