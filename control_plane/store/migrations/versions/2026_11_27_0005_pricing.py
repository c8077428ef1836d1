"""pricing: org price overrides and cost corrections; merges the 0002, 0003 and 0004 heads

Both tables are org-scoped under row-level security on PostgreSQL. Override rows are only ever
added and retired (never deleted by the app); corrections are append-only.

Revision ID: 0005
Revises: 0002, 0003, 0004
Create Date: 2026-11-27 17:10:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from control_plane.store.rls import APP_ROLE, drop_org_protection, is_postgres, protect_org_table

# Frozen copies of the column types: a migration must not change when the models do.
TS = sa.DateTime(timezone=True)
# Exact decimals: NUMERIC on PostgreSQL, integer units of 1e-10 on SQLite (see ExactMoney).
EXACT = sa.Numeric(20, 10).with_variant(sa.BigInteger(), "sqlite")
RATES = ("input", "output", "cached_read", "cache_write_5m", "cache_write_1h", "reasoning",
         "audio_input", "audio_output", "request", "discount_percent")  # fmt: skip

revision: str = "0005"
down_revision: str | Sequence[str] | None = ("0002", "0003", "0004")
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    _create_price_overrides()
    _create_cost_corrections()
    protect_org_table("price_overrides", privileges="SELECT, INSERT, UPDATE")
    protect_org_table("cost_corrections", privileges="SELECT, INSERT")


def _create_price_overrides() -> None:
    op.create_table(
        "price_overrides",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("org_id", sa.Uuid(), nullable=False),
        sa.Column("model", sa.String(length=200), nullable=False),
        sa.Column("provider", sa.String(length=50), nullable=True),
        *(sa.Column(name, EXACT, nullable=True) for name in RATES),
        sa.Column("effective_from", TS, nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_by", sa.String(length=320), nullable=True),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("retired_version", sa.Integer(), nullable=True),
        sa.Column("retired_at", TS, nullable=True),
        sa.ForeignKeyConstraint(
            ["org_id"],
            ["organizations.id"],
            name=op.f("fk_price_overrides_org_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_price_overrides")),
        sa.UniqueConstraint("org_id", "version", name=op.f("uq_price_overrides_org_id_version")),
    )
    op.create_index(
        op.f("ix_price_overrides_org_id_retired_version"),
        "price_overrides",
        ["org_id", "retired_version"],
    )


def _create_cost_corrections() -> None:
    op.create_table(
        "cost_corrections",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("org_id", sa.Uuid(), nullable=False),
        sa.Column("call_id", sa.Uuid(), nullable=False),
        sa.Column("call_started_at", TS, nullable=False),
        sa.Column("old_total", EXACT, nullable=True),
        sa.Column("new_total", EXACT, nullable=True),
        sa.Column("old_price_version", sa.String(length=100), nullable=True),
        sa.Column("new_price_version", sa.String(length=100), nullable=True),
        sa.Column("corrected_at", TS, nullable=False),
        sa.Column("batch_id", sa.Uuid(), nullable=False),
        sa.Column("actor", sa.String(length=320), nullable=True),
        sa.ForeignKeyConstraint(
            ["org_id"],
            ["organizations.id"],
            name=op.f("fk_cost_corrections_org_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cost_corrections")),
    )
    op.create_index(
        op.f("ix_cost_corrections_org_id_batch_id"), "cost_corrections", ["org_id", "batch_id"]
    )
    op.create_index(
        op.f("ix_cost_corrections_org_id_call_id"), "cost_corrections", ["org_id", "call_id"]
    )


def downgrade() -> None:
    for table in ("cost_corrections", "price_overrides"):
        if is_postgres():
            op.execute(f"REVOKE ALL ON {table} FROM {APP_ROLE}")
        drop_org_protection(table)
        op.drop_table(table)
