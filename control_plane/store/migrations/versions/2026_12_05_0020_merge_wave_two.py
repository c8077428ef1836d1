"""merge the heads the second wave added in parallel after 0006 (security, accounts, identity,
fault tolerance, policies, approvals): one line of history again

Revision ID: 0020
Revises: 0007_c, 0008, 0009, 0010, 0011, 0012, 0013
Create Date: 2026-12-05 05:15:00
"""

from __future__ import annotations

from collections.abc import Sequence

revision: str = "0020"
down_revision: str | Sequence[str] | None = (
    "0007_c",
    "0008",
    "0009",
    "0010",
    "0011",
    "0012",
    "0013",
)
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
