"""identity controls: kill/pause by API key, and the org setting for unknown agent names

``organizations.auto_register_agents`` (on by default): an agent name first seen with a valid
key of the org is registered in it (and controlled at once), or, when off, refused by the proxy
before anything is forwarded. ``control_rules.scope`` gains ``key``: a rule whose target is an
API key's public id covers every agent name that key authorises.

Revision ID: 0009
Revises: 0006
Create Date: 2026-12-05 03:30:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | Sequence[str] | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("organizations", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "auto_register_agents", sa.Boolean(), nullable=False, server_default=sa.true()
            )
        )
    with op.batch_alter_table("control_rules", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_control_rules_scope"), type_="check")
        batch_op.create_check_constraint(
            op.f("ck_control_rules_scope"), "scope IN ('org', 'team', 'agent', 'key')"
        )


def downgrade() -> None:
    op.execute("DELETE FROM control_rules WHERE scope = 'key'")
    with op.batch_alter_table("control_rules", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_control_rules_scope"), type_="check")
        batch_op.create_check_constraint(
            op.f("ck_control_rules_scope"), "scope IN ('org', 'team', 'agent')"
        )
    with op.batch_alter_table("organizations", schema=None) as batch_op:
        batch_op.drop_column("auto_register_agents")
