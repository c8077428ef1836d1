"""retention guard: the app role cannot drop partitions its retention setting would keep

``agentops_drop_partitions_before(cutoff)`` is SECURITY DEFINER and callable by the app role,
with no org set. Before this revision it dropped whatever the caller asked for (a cutoff in
2100 emptied every org's history). Now it refuses any cutoff later than the configured
retention allows: the start of the month ``agentops_retention_months()`` whole months before
the current one, by the database's clock (not the caller's). That function is owned by the
migrating role and (re)written by ``agentops migrate`` from ``control_plane.retention_months``;
the app role can neither execute nor replace it. Until a retention is recorded, nothing is
dropped.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-05 03:40:00
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

from control_plane.store.rls import is_postgres

revision: str = "0007"
down_revision: str | Sequence[str] | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

PARTITIONS = "agentops_partitions"
RETENTION = "agentops_retention_months()"
SIGNATURE = "agentops_drop_partitions_before(timestamptz)"


def retention_function(months: int | None) -> str:
    """The owner-only function holding the retention the database enforces."""
    value = "NULL::integer" if months is None else f"{int(months)}::integer"
    return (
        f"CREATE OR REPLACE FUNCTION public.{RETENTION} RETURNS integer "
        f"LANGUAGE sql STABLE AS $$ SELECT {value} $$"
    )


GUARDED_DROP = f"""
CREATE OR REPLACE FUNCTION agentops_drop_partitions_before(p_cutoff timestamptz)
RETURNS integer LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    r record;
    keep_months integer := public.agentops_retention_months();
    latest timestamptz;
    month_start timestamp;
    dropped integer := 0;
BEGIN
    IF keep_months IS NULL OR keep_months < 1 THEN
        RAISE EXCEPTION 'retention is not configured: nothing may be dropped'
            USING ERRCODE = 'insufficient_privilege',
                  HINT = 'set control_plane.retention_months and run agentops migrate';
    END IF;
    latest := (date_trunc('month', now() AT TIME ZONE 'UTC') - make_interval(months => keep_months))
              AT TIME ZONE 'UTC';
    IF p_cutoff IS NULL OR p_cutoff > latest THEN
        RAISE EXCEPTION 'cutoff % is later than the configured retention allows (%; % months)',
            p_cutoff, latest, keep_months
            USING ERRCODE = 'insufficient_privilege';
    END IF;
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
    op.execute(retention_function(None))
    op.execute(f"REVOKE ALL ON FUNCTION public.{RETENTION} FROM PUBLIC")
    op.execute(GUARDED_DROP)


def downgrade() -> None:
    if not is_postgres():
        return
    head, rest = GUARDED_DROP.split("    keep_months integer", 1)
    declarations, body = rest.split("BEGIN\n", 1)
    unguarded = head + declarations.split(";\n", 1)[1].replace("    latest timestamptz;\n", "")
    op.execute(unguarded + "BEGIN\n" + body[body.index("    FOR r IN") :])
    op.execute(f"DROP FUNCTION IF EXISTS public.{RETENTION}")
