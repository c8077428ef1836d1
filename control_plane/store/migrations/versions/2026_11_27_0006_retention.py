"""retention: drop whole monthly partitions of calls and events older than a cutoff

The application role may not drop tables, and must not be able to DELETE facts row by row
(calls and events are append-and-supersede), so retention is one narrow SECURITY DEFINER
function that drops only partitions entirely before the cutoff. Rollups and run aggregates
are kept: costs stay reportable after the detail is gone.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-27 16:15:00
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

from control_plane.store.rls import APP_ROLE, is_postgres

revision: str = "0006"
down_revision: str | Sequence[str] | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

PARTITIONS = "agentops_partitions"
SIGNATURE = "agentops_drop_partitions_before(timestamptz)"

# Partition names carry their month (calls_YYYY_MM); one is dropped when the month after it
# starts at or before the cutoff, i.e. when every row it can hold is older than the cutoff.
DROP_BEFORE = f"""
CREATE FUNCTION agentops_drop_partitions_before(p_cutoff timestamptz)
RETURNS integer LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    r record;
    month_start timestamp;
    dropped integer := 0;
BEGIN
    FOR r IN
        SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = '{PARTITIONS}' AND c.relkind = 'r'
          AND c.relname ~ '^(calls|events)_[0-9]{{4}}_[0-9]{{2}}$'
    LOOP
        month_start := to_timestamp(right(r.relname, 7), 'YYYY_MM');
        IF (month_start + interval '1 month') AT TIME ZONE 'UTC' <= p_cutoff THEN
            EXECUTE format('DROP TABLE {PARTITIONS}.%I', r.relname);
            dropped := dropped + 1;
        END IF;
    END LOOP;
    RETURN dropped;
END
$$"""


def upgrade() -> None:
    if not is_postgres():
        return
    op.execute(DROP_BEFORE)
    op.execute(f"REVOKE ALL ON FUNCTION {SIGNATURE} FROM PUBLIC")
    op.execute(f"GRANT EXECUTE ON FUNCTION {SIGNATURE} TO {APP_ROLE}")


def downgrade() -> None:
    if is_postgres():
        op.execute(f"DROP FUNCTION IF EXISTS {SIGNATURE}")
