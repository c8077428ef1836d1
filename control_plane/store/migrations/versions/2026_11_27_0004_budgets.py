"""budgets, budget alert events, notification channels and alert deliveries

On PostgreSQL also: row-level security on each table, and two SECURITY DEFINER lookups the
worker uses to find which orgs have work (budgets to roll over, deliveries due) before it opens
an org-scoped transaction for each.

Revision ID: 0004
Revises: 0001
Create Date: 2026-11-27 16:05:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from control_plane.store.rls import APP_ROLE, drop_org_protection, is_postgres, protect_org_table

# Frozen copies of the column types: a migration must not change when the models do.
TS = sa.DateTime(timezone=True)
JSONT = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
# Exact decimals: NUMERIC on PostgreSQL, integer units of 1e-10 on SQLite (see ExactMoney).
EXACT = sa.Numeric(20, 10).with_variant(sa.BigInteger(), "sqlite")

revision: str = "0004"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = ("budgets", "budget_alert_events", "notification_channels", "alert_deliveries")


def upgrade() -> None:
    _create_budgets()
    _create_alert_events()
    _create_channels()
    _create_deliveries()
    _secure_postgres()


def _create_budgets() -> None:
    op.create_table(
        "budgets",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("org_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("scope", sa.String(length=10), nullable=False),
        sa.Column("team_id", sa.Uuid(), nullable=True),
        sa.Column("agent_id", sa.Uuid(), nullable=True),
        sa.Column("model", sa.String(length=200), nullable=True),
        sa.Column("provider", sa.String(length=50), nullable=True),
        sa.Column("period", sa.String(length=10), nullable=False),
        sa.Column("custom_start", TS, nullable=True),
        sa.Column("custom_end", TS, nullable=True),
        sa.Column("limit_usd", EXACT, nullable=False),
        sa.Column("max_calls", sa.Integer(), nullable=True),
        sa.Column("threshold_alert_percent", JSONT, nullable=False),
        sa.Column("auto_pause_at_percent", EXACT, nullable=True),
        sa.Column("hard", sa.Boolean(), nullable=False),
        sa.Column("paused_period_key", sa.String(length=80), nullable=True),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
        sa.CheckConstraint(
            "period IN ('daily', 'weekly', 'monthly', 'custom')", name=op.f("ck_budgets_period")
        ),
        sa.CheckConstraint(
            "scope IN ('org', 'team', 'agent', 'run')", name=op.f("ck_budgets_scope")
        ),
        sa.CheckConstraint("limit_usd >= 0", name=op.f("ck_budgets_limit_usd")),
        sa.ForeignKeyConstraint(
            ["agent_id"], ["agents.id"], name=op.f("fk_budgets_agent_id_agents"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["org_id"],
            ["organizations.id"],
            name=op.f("fk_budgets_org_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["team_id"], ["teams.id"], name=op.f("fk_budgets_team_id_teams"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_budgets")),
        sa.UniqueConstraint("org_id", "name", name=op.f("uq_budgets_org_id_name")),
    )
    op.create_index(op.f("ix_budgets_agent_id"), "budgets", ["agent_id"])
    op.create_index(op.f("ix_budgets_org_id_id"), "budgets", ["org_id", "id"])
    op.create_index(op.f("ix_budgets_team_id"), "budgets", ["team_id"])


def _create_alert_events() -> None:
    op.create_table(
        "budget_alert_events",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("org_id", sa.Uuid(), nullable=False),
        sa.Column("budget_id", sa.Uuid(), nullable=False),
        sa.Column("period_key", sa.String(length=80), nullable=False),
        sa.Column("kind", sa.String(length=12), nullable=False),
        sa.Column("threshold", EXACT, nullable=False),
        sa.Column("spend_usd", EXACT, nullable=False),
        sa.Column("limit_usd", EXACT, nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.CheckConstraint(
            "kind IN ('threshold', 'auto_pause')", name=op.f("ck_budget_alert_events_kind")
        ),
        sa.ForeignKeyConstraint(
            ["budget_id"],
            ["budgets.id"],
            name=op.f("fk_budget_alert_events_budget_id_budgets"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["org_id"],
            ["organizations.id"],
            name=op.f("fk_budget_alert_events_org_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_budget_alert_events")),
        sa.UniqueConstraint(
            "budget_id",
            "period_key",
            "kind",
            "threshold",
            name=op.f("uq_budget_alert_events_budget_id_period_key_kind_threshold"),
        ),
    )
    op.create_index(op.f("ix_budget_alert_events_org_id"), "budget_alert_events", ["org_id"])


def _create_channels() -> None:
    op.create_table(
        "notification_channels",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("org_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("url", sa.String(length=2000), nullable=True),
        sa.Column("recipients", JSONT, nullable=False),
        sa.Column("secret", sa.String(length=200), nullable=True),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
        sa.CheckConstraint(
            "kind IN ('webhook', 'slack', 'email')", name=op.f("ck_notification_channels_kind")
        ),
        sa.ForeignKeyConstraint(
            ["org_id"],
            ["organizations.id"],
            name=op.f("fk_notification_channels_org_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notification_channels")),
        sa.UniqueConstraint("org_id", "name", name=op.f("uq_notification_channels_org_id_name")),
    )


def _create_deliveries() -> None:
    op.create_table(
        "alert_deliveries",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("org_id", sa.Uuid(), nullable=False),
        sa.Column("channel_id", sa.Uuid(), nullable=False),
        sa.Column("event_id", sa.Uuid(), nullable=True),
        sa.Column("event_type", sa.String(length=50), nullable=False),
        sa.Column("payload", JSONT, nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", TS, nullable=False),
        sa.Column("last_error", sa.String(length=1000), nullable=True),
        sa.Column("delivered_at", TS, nullable=True),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
        sa.CheckConstraint(
            "status IN ('pending', 'delivered', 'dead')", name=op.f("ck_alert_deliveries_status")
        ),
        sa.ForeignKeyConstraint(
            ["channel_id"],
            ["notification_channels.id"],
            name=op.f("fk_alert_deliveries_channel_id_notification_channels"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["event_id"],
            ["budget_alert_events.id"],
            name=op.f("fk_alert_deliveries_event_id_budget_alert_events"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["org_id"],
            ["organizations.id"],
            name=op.f("fk_alert_deliveries_org_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alert_deliveries")),
    )
    op.create_index(op.f("ix_alert_deliveries_channel_id"), "alert_deliveries", ["channel_id"])
    op.create_index(op.f("ix_alert_deliveries_event_id"), "alert_deliveries", ["event_id"])
    op.create_index(op.f("ix_alert_deliveries_org_id_id"), "alert_deliveries", ["org_id", "id"])
    op.create_index(
        op.f("ix_alert_deliveries_status_next_attempt_at"),
        "alert_deliveries",
        ["status", "next_attempt_at"],
    )


def downgrade() -> None:
    _unsecure_postgres()
    op.drop_table("alert_deliveries")
    op.drop_table("notification_channels")
    op.drop_table("budget_alert_events")
    op.drop_table("budgets")


# The worker's cross-org questions. Each returns org ids only, nothing else, so running as the
# migration owner (RLS not applied) reveals no row content; only the app role may call them.
WORKER_FUNCTIONS = {
    "agentops_orgs_with_budgets()": """
        CREATE FUNCTION agentops_orgs_with_budgets() RETURNS SETOF uuid
        LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
            SELECT DISTINCT org_id FROM budgets
        $$""",
    "agentops_orgs_with_due_deliveries(timestamptz)": """
        CREATE FUNCTION agentops_orgs_with_due_deliveries(p_now timestamptz) RETURNS SETOF uuid
        LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
            SELECT DISTINCT org_id FROM alert_deliveries
            WHERE status = 'pending' AND next_attempt_at <= p_now
        $$""",
}


def _secure_postgres() -> None:
    if not is_postgres():
        return
    for table in TABLES:
        protect_org_table(table)
    for signature, ddl in WORKER_FUNCTIONS.items():
        op.execute(ddl)
        op.execute(f"REVOKE ALL ON FUNCTION {signature} FROM PUBLIC")
        op.execute(f"GRANT EXECUTE ON FUNCTION {signature} TO {APP_ROLE}")


def _unsecure_postgres() -> None:
    if not is_postgres():
        return
    for signature in WORKER_FUNCTIONS:
        op.execute(f"DROP FUNCTION IF EXISTS {signature}")
    for table in TABLES:
        op.execute(f"REVOKE ALL ON {table} FROM {APP_ROLE}")
        drop_org_protection(table)
