"""records: runs, calls, events and hourly cost rollups

On PostgreSQL ``calls`` and ``events`` are range-partitioned by month. Partitions live in their
own schema (``agentops_partitions``) so the public schema holds exactly the modelled tables;
``agentops_ensure_partitions(from, to)`` creates the months of a range (the worker calls it
ahead of time) and a default partition catches anything outside them. Every new table is
org-scoped under row-level security.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-27 15:02:10
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from control_plane.store.rls import APP_ROLE, drop_org_protection, is_postgres, protect_org_table

# Frozen copies of the column types: a migration must not change when the models do.
TS = sa.DateTime(timezone=True)
JSONT = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
MONEY = sa.Numeric(20, 10).with_variant(sa.BigInteger(), "sqlite")
PARTITIONS = "agentops_partitions"

revision: str = "0002"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _big(name: str) -> sa.Column[int]:
    return sa.Column(name, sa.BigInteger(), nullable=False)


def _counter_columns() -> list[sa.Column[Any]]:
    counters = ("calls", "errors", "input_tokens", "output_tokens", "cached_read_tokens",
                "cache_write_tokens", "reasoning_tokens")  # fmt: skip
    return [
        *(_big(name) for name in counters),
        sa.Column("cost_usd", MONEY, nullable=False),
        _big("unpriced_calls"),
        _big("latency_count"),
        sa.Column("latency_ms_sum", sa.Float(), nullable=False),
        *(sa.Column(f"lat_b{i}", sa.Integer(), nullable=False) for i in range(12)),
    ]


def upgrade() -> None:
    op.create_table(
        "runs",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("org_id", sa.Uuid(), nullable=False),
        sa.Column("run_key", sa.String(length=200), nullable=False),
        sa.Column("run_source", sa.String(length=20), nullable=False),
        sa.Column("agent_id", sa.Uuid(), nullable=False),
        sa.Column("team_id", sa.Uuid(), nullable=True),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("calls", sa.Integer(), nullable=False),
        sa.Column("in_progress", sa.Integer(), nullable=False),
        sa.Column("errors", sa.Integer(), nullable=False),
        _big("input_tokens"),
        _big("output_tokens"),
        sa.Column("cost_usd", MONEY, nullable=False),
        sa.Column("unpriced_calls", sa.Integer(), nullable=False),
        sa.Column("started_at", TS, nullable=False),
        sa.Column("last_at", TS, nullable=False),
        sa.Column("tags", JSONT, nullable=False),
        sa.ForeignKeyConstraint(
            ["org_id"],
            ["organizations.id"],
            name=op.f("fk_runs_org_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_runs")),
        sa.UniqueConstraint("org_id", "run_key", name=op.f("uq_runs_org_id_run_key")),
    )
    op.create_index(op.f("ix_runs_org_id_started_at"), "runs", ["org_id", "started_at"])
    op.create_index(op.f("ix_runs_org_id_cost_usd"), "runs", ["org_id", "cost_usd"])

    op.create_table(
        "calls",
        sa.Column("call_id", sa.Uuid(), nullable=False),
        sa.Column("started_at", TS, nullable=False),
        sa.Column("org_id", sa.Uuid(), nullable=False),
        sa.Column("agent_id", sa.Uuid(), nullable=False),
        sa.Column("team_id", sa.Uuid(), nullable=True),
        sa.Column("run_pk", sa.Uuid(), nullable=False),
        sa.Column("run_source", sa.String(length=20), nullable=False),
        sa.Column("proxy_id", sa.String(length=200), nullable=True),
        sa.Column("provider", sa.String(length=50), nullable=False),
        sa.Column("endpoint", sa.String(length=50), nullable=False),
        sa.Column("method", sa.String(length=10), nullable=False),
        sa.Column("host", sa.String(length=255), nullable=False),
        sa.Column("path", sa.String(length=2000), nullable=False),
        sa.Column("metered", sa.Boolean(), nullable=False),
        sa.Column("model", sa.String(length=200), nullable=False),
        sa.Column("model_requested", sa.String(length=200), nullable=True),
        sa.Column("model_served", sa.String(length=200), nullable=True),
        sa.Column("streamed", sa.Boolean(), nullable=False),
        sa.Column("service_tier", sa.String(length=50), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("http_status", sa.Integer(), nullable=True),
        sa.Column("error_type", sa.String(length=200), nullable=True),
        sa.Column("error_message", sa.Text(), nullable=True),
        sa.Column("parse_error", sa.Text(), nullable=True),
        _big("input_tokens"),
        _big("output_tokens"),
        _big("cached_read_tokens"),
        _big("cache_write_tokens"),
        _big("reasoning_tokens"),
        sa.Column("token_source", sa.String(length=10), nullable=False),
        sa.Column("cost_usd", MONEY, nullable=True),
        sa.Column("price_version", sa.String(length=100), nullable=True),
        sa.Column("unpriced_reason", sa.String(length=100), nullable=True),
        sa.Column("ended_at", TS, nullable=True),
        sa.Column("latency_ms", sa.Float(), nullable=True),
        sa.Column("ttft_ms", sa.Float(), nullable=True),
        sa.Column("record", JSONT, nullable=False),
        sa.PrimaryKeyConstraint("call_id", "started_at", name=op.f("pk_calls")),
        postgresql_partition_by="RANGE (started_at)",
    )
    op.create_index(op.f("ix_calls_run_pk_started_at"), "calls", ["run_pk", "started_at"])
    op.create_index(
        op.f("ix_calls_org_id_agent_id_started_at"), "calls", ["org_id", "agent_id", "started_at"]
    )

    op.create_table(
        "events",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("at", TS, nullable=False),
        sa.Column("org_id", sa.Uuid(), nullable=False),
        sa.Column("run_pk", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(length=50), nullable=False),
        sa.Column("call_id", sa.Uuid(), nullable=True),
        sa.Column("data", JSONT, nullable=False),
        sa.PrimaryKeyConstraint("id", "at", name=op.f("pk_events")),
        postgresql_partition_by="RANGE (at)",
    )
    op.create_index(op.f("ix_events_run_pk_at"), "events", ["run_pk", "at"])

    for table, period in (("cost_rollups", "hour"), ("cost_rollups_daily", "day")):
        op.create_table(
            table,
            sa.Column("org_id", sa.Uuid(), nullable=False),
            sa.Column(period, TS, nullable=False),
            sa.Column("agent_id", sa.Uuid(), nullable=False),
            sa.Column("team_id", sa.Uuid(), nullable=False),
            sa.Column("model", sa.String(length=200), nullable=False),
            sa.Column("provider", sa.String(length=50), nullable=False),
            *_counter_columns(),
            sa.ForeignKeyConstraint(
                ["org_id"], ["organizations.id"], name=op.f(f"fk_{table}_org_id_organizations"),
                ondelete="CASCADE",
            ),
            sa.PrimaryKeyConstraint(
                "org_id", period, "agent_id", "team_id", "model", "provider",
                name=op.f(f"pk_{table}"),
            ),
        )  # fmt: skip
    _secure_postgres()


def downgrade() -> None:
    if is_postgres():
        op.execute(f"DROP FUNCTION IF EXISTS {ENSURE_SIGNATURE}")
        op.execute(f"DROP FUNCTION IF EXISTS {ORG_BY_SLUG_SIGNATURE}")
        for table in ("runs", "calls", "events", "cost_rollups", "cost_rollups_daily"):
            op.execute(f"REVOKE ALL ON {table} FROM {APP_ROLE}")
            drop_org_protection(table)
    op.drop_table("cost_rollups_daily")
    op.drop_table("cost_rollups")
    op.drop_table("events")
    op.drop_table("calls")
    op.drop_table("runs")
    if is_postgres():
        op.execute(f"DROP SCHEMA IF EXISTS {PARTITIONS} CASCADE")


ENSURE_SIGNATURE = "agentops_ensure_partitions(timestamptz, timestamptz)"
ORG_BY_SLUG_SIGNATURE = "agentops_org_id_by_slug(text)"

# SECURITY DEFINER: the application role may not create tables, but must be able to create
# next month's partitions. A month whose rows already sit in the default partition cannot get
# its own partition (PostgreSQL would refuse); it is skipped and stays in the default.
ENSURE_PARTITIONS = f"""
CREATE FUNCTION agentops_ensure_partitions(p_from timestamptz, p_to timestamptz)
RETURNS integer LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    m timestamp := date_trunc('month', p_from AT TIME ZONE 'UTC');
    nxt timestamp;
    t text;
    part text;
    created integer := 0;
BEGIN
    WHILE m AT TIME ZONE 'UTC' < p_to LOOP
        nxt := m + interval '1 month';
        FOREACH t IN ARRAY ARRAY['calls', 'events'] LOOP
            part := t || '_' || to_char(m, 'YYYY_MM');
            CONTINUE WHEN to_regclass('{PARTITIONS}.' || part) IS NOT NULL;
            BEGIN
                EXECUTE format(
                    'CREATE TABLE {PARTITIONS}.%I PARTITION OF public.%I FOR VALUES FROM (%L) TO (%L)',
                    part, t, m AT TIME ZONE 'UTC', nxt AT TIME ZONE 'UTC');
                created := created + 1;
            EXCEPTION WHEN duplicate_table OR check_violation THEN
                RAISE NOTICE 'partition % not created: %', part, SQLERRM;
            END;
        END LOOP;
        m := nxt;
    END LOOP;
    RETURN created;
END
$$"""

# Embedded ingestion knows the org by slug only, before any org scope is set.
ORG_BY_SLUG = """
CREATE FUNCTION agentops_org_id_by_slug(p_slug text) RETURNS uuid
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
    SELECT id FROM organizations WHERE slug = p_slug
$$"""


def _secure_postgres() -> None:
    if not is_postgres():
        return
    op.execute(f"CREATE SCHEMA IF NOT EXISTS {PARTITIONS}")
    op.execute(f"CREATE TABLE {PARTITIONS}.calls_default PARTITION OF calls DEFAULT")
    op.execute(f"CREATE TABLE {PARTITIONS}.events_default PARTITION OF events DEFAULT")
    for signature, ddl in (
        (ENSURE_SIGNATURE, ENSURE_PARTITIONS),
        (ORG_BY_SLUG_SIGNATURE, ORG_BY_SLUG),
    ):
        op.execute(ddl)
        op.execute(f"REVOKE ALL ON FUNCTION {signature} FROM PUBLIC")
        op.execute(f"GRANT EXECUTE ON FUNCTION {signature} TO {APP_ROLE}")
    op.execute(
        "SELECT agentops_ensure_partitions(now() - interval '2 months', now() + interval '3 months')"
    )
    # The fact tables are append-and-supersede: no DELETE (retention drops partitions).
    protect_org_table("calls", privileges="SELECT, INSERT, UPDATE")
    protect_org_table("events", privileges="SELECT, INSERT")
    protect_org_table("runs", privileges="SELECT, INSERT, UPDATE")
    protect_org_table("cost_rollups", privileges="SELECT, INSERT, UPDATE")
    protect_org_table("cost_rollups_daily", privileges="SELECT, INSERT, UPDATE")
