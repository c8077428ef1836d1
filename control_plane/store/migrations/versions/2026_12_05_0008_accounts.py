"""accounts: invitation and password-reset tokens, credential changes, least-privilege serve

- ``account_tokens``: single-use expiring tokens (stored hashed) to accept an invitation or
  reset a password, org-scoped under row-level security, found before the org is known by
  one narrow SECURITY DEFINER lookup (like refresh tokens).
- ``users.credentials_changed_at``: tokens issued before a password change stop working.
- ``alembic_version`` readable by the application role, so ``serve`` can check that the schema
  is current while logged in as a role that is only a member of ``agentops_app``.

Revision ID: 0008
Revises: 0006
Create Date: 2026-12-05 03:40:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from control_plane.store.rls import APP_ROLE, drop_org_protection, is_postgres, protect_org_table

revision: str = "0008"
down_revision: str | Sequence[str] | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TS = sa.DateTime(timezone=True)
LOOKUP = "agentops_account_token_org(text)"


def upgrade() -> None:
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(sa.Column("credentials_changed_at", TS, nullable=True))
    op.create_table(
        "account_tokens",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("org_id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("purpose", sa.String(length=16), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("expires_at", TS, nullable=False),
        sa.Column("used_at", TS, nullable=True),
        sa.CheckConstraint(
            "purpose IN ('invite', 'reset', 'admin_reset')", name=op.f("ck_account_tokens_purpose")
        ),
        sa.ForeignKeyConstraint(
            ["org_id"],
            ["organizations.id"],
            name=op.f("fk_account_tokens_org_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_account_tokens_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_account_tokens")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_account_tokens_token_hash")),
    )
    with op.batch_alter_table("account_tokens", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_account_tokens_user_id"), ["user_id"], unique=False)
    if is_postgres():
        protect_org_table("account_tokens", privileges="SELECT, INSERT, UPDATE")
        op.execute(
            f"""
            CREATE FUNCTION {LOOKUP.replace("(text)", "(p_token_hash text)")} RETURNS uuid
            LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
                SELECT org_id FROM account_tokens WHERE token_hash = p_token_hash
            $$"""
        )
        op.execute(f"REVOKE ALL ON FUNCTION {LOOKUP} FROM PUBLIC")
        op.execute(f"GRANT EXECUTE ON FUNCTION {LOOKUP} TO {APP_ROLE}")
        # Read-only: serve checks the schema revision; only the owner role migrates.
        op.execute(f"GRANT SELECT ON alembic_version TO {APP_ROLE}")


def downgrade() -> None:
    if is_postgres():
        op.execute(f"REVOKE SELECT ON alembic_version FROM {APP_ROLE}")
        op.execute(f"DROP FUNCTION IF EXISTS {LOOKUP}")
        op.execute(f"REVOKE ALL ON account_tokens FROM {APP_ROLE}")
        drop_org_protection("account_tokens")
    with op.batch_alter_table("account_tokens", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_account_tokens_user_id"))
    op.drop_table("account_tokens")
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_column("credentials_changed_at")
