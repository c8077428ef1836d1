"""cli rollup unpriced tokens: the tokens of unpriced calls in the cost rollups

The rollup-based costs summary counted unpriced calls but not their tokens, so it could say
"3 calls unpriced" but not how much usage its totals leave out. Both rollup tables get
``unpriced_input_tokens`` and ``unpriced_output_tokens``, filled from the stored calls (final
calls without a cost), keyed exactly as ingestion keys them.

Revision ID: 0021_cli
Revises: 0021_pol
Create Date: 2026-12-05 07:00:00
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

from control_plane.store.tables._base import UTCDateTime

revision: str = "0021_cli"
down_revision: str | Sequence[str] | None = "0021_pol"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = (("cost_rollups", "hour"), ("cost_rollups_daily", "day"))
COLUMNS = ("unpriced_input_tokens", "unpriced_output_tokens")
NO_TEAM = uuid.UUID(int=0)
KEY = ("org_id", "agent_id", "team_id", "model", "provider")

CALLS = sa.table(
    "calls",
    sa.column("org_id", sa.Uuid()), sa.column("agent_id", sa.Uuid()),
    sa.column("team_id", sa.Uuid()), sa.column("model", sa.String()),
    sa.column("provider", sa.String()), sa.column("started_at", UTCDateTime()),
    sa.column("status", sa.String()), sa.column("cost_usd", sa.Numeric()),
    sa.column("input_tokens", sa.BigInteger()), sa.column("output_tokens", sa.BigInteger()),
)  # fmt: skip


def upgrade() -> None:
    for table, _ in TABLES:
        for column in COLUMNS:
            op.add_column(
                table, sa.Column(column, sa.BigInteger(), nullable=False, server_default="0")
            )
    hours, days = _unpriced_sums()
    _fill("cost_rollups", "hour", hours)
    _fill("cost_rollups_daily", "day", days)


def downgrade() -> None:
    for table, _ in TABLES:
        with op.batch_alter_table(table) as batch:
            for column in COLUMNS:
                batch.drop_column(column)


Sums = dict[tuple[object, ...], list[int]]


def _unpriced_sums() -> tuple[Sums, Sums]:
    """Per rollup key (hour and day): the input and output tokens of final unpriced calls."""
    c = CALLS.c
    query = sa.select(
        c.org_id, c.agent_id, c.team_id, c.model, c.provider, c.started_at,
        c.input_tokens, c.output_tokens,
    ).where(c.cost_usd.is_(None), c.status != "in_progress")  # fmt: skip
    hours: Sums = {}
    days: Sums = {}
    for row in op.get_bind().execute(query):
        started: datetime = row.started_at.astimezone(UTC)
        dims = (row.org_id, row.agent_id, row.team_id or NO_TEAM, row.model, row.provider)
        hour = started.replace(minute=0, second=0, microsecond=0)
        for sums, period in ((hours, hour), (days, hour.replace(hour=0))):
            into = sums.setdefault((period, *dims), [0, 0])
            into[0] += row.input_tokens
            into[1] += row.output_tokens
    return hours, days


def _fill(name: str, period: str, sums: Sums) -> None:
    if not sums:
        return
    table = sa.table(
        name, sa.column(period, UTCDateTime()), *(sa.column(k) for k in KEY),
        *(sa.column(c, sa.BigInteger()) for c in COLUMNS),
    )  # fmt: skip
    t = table.c
    stmt = (
        sa.update(table)
        .where(t[period] == sa.bindparam("k_period", type_=UTCDateTime()),
               *(t[k] == sa.bindparam(f"k_{k}") for k in KEY))
        .values(unpriced_input_tokens=sa.bindparam("v_in"),
                unpriced_output_tokens=sa.bindparam("v_out"))
    )  # fmt: skip
    params = [
        {"k_period": key[0], **{f"k_{k}": v for k, v in zip(KEY, key[1:], strict=True)},
         "v_in": tokens[0], "v_out": tokens[1]}
        for key, tokens in sums.items()
    ]  # fmt: skip
    op.get_bind().execute(stmt, params)
