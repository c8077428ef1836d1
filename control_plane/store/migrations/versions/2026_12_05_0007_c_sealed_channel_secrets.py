"""sealed channel secrets: room for sealed values in notification_channels.secret

Channel secrets are stored sealed (``enc:v1:<Fernet token>``, control_plane.secretbox), and a
Slack channel's webhook URL (up to 2,000 characters) moves into ``secret`` sealed, so the
column becomes TEXT. Sealing the existing clear rows needs the key from the settings, so it is
done by ``agentops migrate`` right after the schema upgrade, not in this revision.

Revision ID: 0007_c
Revises: 0007_b
Create Date: 2026-12-05 04:10:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007_c"
down_revision: str | Sequence[str] | None = "0007_b"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("notification_channels") as batch:
        batch.alter_column("secret", type_=sa.Text(), existing_type=sa.String(200))


def downgrade() -> None:
    with op.batch_alter_table("notification_channels") as batch:
        batch.alter_column("secret", type_=sa.String(200), existing_type=sa.Text())
