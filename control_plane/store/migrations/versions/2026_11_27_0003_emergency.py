"""emergency controls: control_rules, control_state (per-org version), proxy_heartbeats

On PostgreSQL also: row-level security on the three tables, and one SECURITY DEFINER lookup
the worker's republish job uses to find every org's current version before it knows the org.

Revision ID: 0003
Revises: 0001
Create Date: 2026-11-27 16:05:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from control_plane.store.rls import APP_ROLE, drop_org_protection, is_postgres, protect_org_table

# Frozen copy of the column type: a migration must not change when the models do.
TS = sa.DateTime(timezone=True)

revision: str = "0003"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = ("control_rules", "control_state", "proxy_heartbeats")

VERSIONS_FUNCTION = "agentops_control_state_versions()"
# Answers one narrow question across orgs (which org is at which version), for the worker that
# republishes snapshots a crash left unpublished; it returns no rule, reason or agent.
VERSIONS_DDL = """
    CREATE FUNCTION agentops_control_state_versions()
    RETURNS TABLE(org_id uuid, org_slug text, version bigint)
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
        SELECT s.org_id, o.slug, s.version
        FROM control_state s JOIN organizations o ON o.id = s.org_id
    $$"""


def upgrade() -> None:
    op.create_table(
        "control_rules",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("org_id", sa.Uuid(), nullable=False),
        sa.Column("scope", sa.String(length=10), nullable=False),
        sa.Column("target", sa.String(length=200), nullable=False),
        sa.Column("action", sa.String(length=10), nullable=False),
        sa.Column("reason", sa.String(length=1000), nullable=False),
        sa.Column("reference", sa.String(length=64), nullable=False),
        sa.Column("created_by", sa.String(length=64), nullable=True),
        sa.Column("created_by_label", sa.String(length=320), nullable=True),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("lifted_at", TS, nullable=True),
        sa.Column("lifted_by", sa.String(length=64), nullable=True),
        sa.CheckConstraint(
            "scope IN ('org', 'team', 'agent')", name=op.f("ck_control_rules_scope")
        ),
        sa.CheckConstraint("action IN ('kill', 'pause')", name=op.f("ck_control_rules_action")),
        sa.ForeignKeyConstraint(
            ["org_id"],
            ["organizations.id"],
            name=op.f("fk_control_rules_org_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_control_rules")),
    )
    op.create_index(
        "uq_control_rules_in_force",
        "control_rules",
        ["org_id", "scope", "target"],
        unique=True,
        postgresql_where=sa.text("lifted_at IS NULL"),
        sqlite_where=sa.text("lifted_at IS NULL"),
    )
    op.create_table(
        "control_state",
        sa.Column("org_id", sa.Uuid(), nullable=False),
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.Column("updated_at", TS, nullable=False),
        sa.ForeignKeyConstraint(
            ["org_id"],
            ["organizations.id"],
            name=op.f("fk_control_state_org_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("org_id", name=op.f("pk_control_state")),
    )
    op.create_table(
        "proxy_heartbeats",
        sa.Column("org_id", sa.Uuid(), nullable=False),
        sa.Column("proxy_id", sa.String(length=200), nullable=False),
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.Column("first_seen_at", TS, nullable=False),
        sa.Column("seen_at", TS, nullable=False),
        sa.ForeignKeyConstraint(
            ["org_id"],
            ["organizations.id"],
            name=op.f("fk_proxy_heartbeats_org_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("org_id", "proxy_id", name=op.f("pk_proxy_heartbeats")),
    )
    if is_postgres():
        for table in TABLES:
            protect_org_table(table)
        op.execute(VERSIONS_DDL)
        op.execute(f"REVOKE ALL ON FUNCTION {VERSIONS_FUNCTION} FROM PUBLIC")
        op.execute(f"GRANT EXECUTE ON FUNCTION {VERSIONS_FUNCTION} TO {APP_ROLE}")


def downgrade() -> None:
    if is_postgres():
        op.execute(f"DROP FUNCTION IF EXISTS {VERSIONS_FUNCTION}")
        for table in TABLES:
            op.execute(f"REVOKE ALL ON {table} FROM {APP_ROLE}")
            drop_org_protection(table)
    op.drop_table("proxy_heartbeats")
    op.drop_table("control_state")
    op.drop_index("uq_control_rules_in_force", table_name="control_rules")
    op.drop_table("control_rules")
