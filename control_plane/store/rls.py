"""PostgreSQL row-level security helpers for migrations.

Every org-scoped table gets RLS enabled and forced, one policy comparing its org column with
the transaction's ``app.current_org``, and grants for the application role. A later
migration adding an org-scoped table calls ``protect_org_table`` and is done. On SQLite these
are no-ops (the embedded mode is single-tenant by nature and scoped in the store layer).
"""

from __future__ import annotations

from alembic import op

APP_ROLE = "agentops_app"

# NULLIF: once set_config(..., true) has run in a session, the setting outlives the
# transaction as an empty string rather than NULL, and ''::uuid would raise instead of
# matching nothing.
CURRENT_ORG = "NULLIF(current_setting('app.current_org', true), '')::uuid"


def is_postgres() -> bool:
    return op.get_bind().dialect.name == "postgresql"


def create_app_role() -> None:
    """The role the application switches to: no superuser, no BYPASSRLS, no login.

    Roles are cluster-wide, so several databases (tests, staging) share it; creating it is
    idempotent and tolerates a concurrent creator.
    """
    if not is_postgres():
        return
    op.execute(
        f"""
        DO $$
        BEGIN
            IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '{APP_ROLE}') THEN
                CREATE ROLE {APP_ROLE} NOLOGIN NOSUPERUSER NOBYPASSRLS;
            END IF;
        EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL;
        END
        $$
        """
    )
    op.execute(f"GRANT USAGE ON SCHEMA public TO {APP_ROLE}")


def protect_org_table(
    table: str,
    *,
    column: str = "org_id",
    privileges: str = "SELECT, INSERT, UPDATE, DELETE",
) -> None:
    """Enable + force RLS on ``table``, scope it to the current org, grant the app role."""
    if not is_postgres():
        return
    op.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
    op.execute(f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY")
    op.execute(
        f"CREATE POLICY {table}_org_isolation ON {table} "
        f"USING ({column} = {CURRENT_ORG}) WITH CHECK ({column} = {CURRENT_ORG})"
    )
    op.execute(f"GRANT {privileges} ON {table} TO {APP_ROLE}")


def drop_org_protection(table: str) -> None:
    if not is_postgres():
        return
    op.execute(f"DROP POLICY IF EXISTS {table}_org_isolation ON {table}")
    op.execute(f"ALTER TABLE {table} NO FORCE ROW LEVEL SECURITY")
    op.execute(f"ALTER TABLE {table} DISABLE ROW LEVEL SECURITY")
