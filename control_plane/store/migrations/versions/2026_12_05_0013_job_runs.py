"""job runs and open calls: background jobs run once per due time across replicas, and calls
left open by a crashed proxy are closed past a timeout

``job_runs`` holds each worker job's next due time; replicas claim its row with ``FOR UPDATE
SKIP LOCKED``. It holds job names and times only (no org data), so it is not org-protected.
``agentops_orgs_with_open_calls`` is the closer's cross-org question (org ids only).

Revision ID: 0013
Revises: 0006
Create Date: 2026-12-05 05:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from control_plane.store.rls import APP_ROLE, is_postgres
from control_plane.store.tables._base import UTCDateTime

revision: str = "0013"
down_revision: str | Sequence[str] | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OPEN_CALLS = "agentops_orgs_with_open_calls(timestamptz)"


def upgrade() -> None:
    op.create_table(
        "job_runs",
        sa.Column("name", sa.String(100), primary_key=True),
        sa.Column("next_due_at", UTCDateTime(), nullable=False),
        sa.Column("last_run_at", UTCDateTime(), nullable=True),
        sa.Column("last_runner", sa.String(200), nullable=True),
        sa.Column("runs", sa.BigInteger(), nullable=False),
    )
    if not is_postgres():
        return
    op.execute(f"GRANT SELECT, INSERT, UPDATE ON job_runs TO {APP_ROLE}")
    op.execute("""
        CREATE FUNCTION agentops_orgs_with_open_calls(p_before timestamptz) RETURNS SETOF uuid
        LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
            SELECT DISTINCT org_id FROM calls
            WHERE status = 'in_progress' AND started_at < p_before
        $$""")
    op.execute(f"REVOKE ALL ON FUNCTION {OPEN_CALLS} FROM PUBLIC")
    op.execute(f"GRANT EXECUTE ON FUNCTION {OPEN_CALLS} TO {APP_ROLE}")


def downgrade() -> None:
    if is_postgres():
        op.execute(f"DROP FUNCTION IF EXISTS {OPEN_CALLS}")
    op.drop_table("job_runs")
