"""Calls left open (``in_progress``) past the timeout, and the runs they keep ``running``.

The closer marks such a call ``interrupted`` with ``error_type`` ``CLOSED_OPEN`` and counts it
in its run as a finished, failed, unpriced call (its cost is not known). A record arriving
later (the call's final record, or the proxy's own ``interrupted`` one from its spool) still
supersedes it: ingest treats a call closed this way like an ``in_progress`` one and takes back
what the closer added to the run (``reopen_deltas``).
"""

from __future__ import annotations

import uuid
from collections import Counter
from datetime import datetime

from sqlalchemy import and_, case, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from control_plane.store.tables import Call, Run

IN_PROGRESS = "in_progress"
INTERRUPTED = "interrupted"
CLOSED_OPEN = "open_past_timeout"
CLOSED_MESSAGE = "no final record arrived before the control plane's open-call timeout"

# A stored call a final record may still replace.
OPEN_OR_CLOSED = or_(
    Call.status == IN_PROGRESS, and_(Call.status == INTERRUPTED, Call.error_type == CLOSED_OPEN)
)


async def orgs_with_open_calls(session: AsyncSession, before: datetime) -> list[uuid.UUID]:
    """Cross-org (worker): a SECURITY DEFINER lookup on PostgreSQL (row-level security)."""
    if session.get_bind().dialect.name == "postgresql":
        stmt = select(func.agentops_orgs_with_open_calls(before))
    else:
        stmt = select(Call.org_id).where(Call.status == IN_PROGRESS, Call.started_at < before)
        stmt = stmt.distinct()
    return [row[0] for row in await session.execute(stmt)]


async def close_open_calls(
    session: AsyncSession, org_id: uuid.UUID, before: datetime, now: datetime, limit: int = 1000
) -> int:
    """Close up to ``limit`` of the org's calls started before ``before`` and still open."""
    keys = (
        select(Call.call_id, Call.started_at)
        .where(Call.org_id == org_id, Call.status == IN_PROGRESS, Call.started_at < before)
        .limit(limit)
        .with_for_update(skip_locked=True)
        .subquery()
    )
    stmt = (
        update(Call)
        .where(
            Call.org_id == org_id,
            Call.call_id == keys.c.call_id,
            Call.started_at == keys.c.started_at,
            Call.status == IN_PROGRESS,
        )
        .values(status=INTERRUPTED, error_type=CLOSED_OPEN, error_message=CLOSED_MESSAGE,
                ended_at=now)
        .returning(Call.run_pk)
        .execution_options(synchronize_session=False)
    )  # fmt: skip
    per_run = Counter(row[0] for row in await session.execute(stmt))
    for run_pk, n in sorted(per_run.items(), key=lambda kv: str(kv[0])):
        await _add_to_run(session, run_pk, closed=n)
    return sum(per_run.values())


async def _add_to_run(session: AsyncSession, run_pk: uuid.UUID, *, closed: int) -> None:
    in_progress = func.greatest(Run.in_progress - closed, 0)
    if session.get_bind().dialect.name != "postgresql":
        in_progress = func.max(Run.in_progress - closed, 0)
    errors = Run.errors + closed
    status = case((in_progress > 0, "running"), (errors > 0, "error"), else_="ok")
    await session.execute(
        update(Run)
        .where(Run.id == run_pk)
        .values(
            in_progress=in_progress,
            calls=Run.calls + closed,
            errors=errors,
            unpriced_calls=Run.unpriced_calls + closed,
            status=status,
        )
        .execution_options(synchronize_session=False)
    )


# What ingest takes back from a run when a later record supersedes a call the closer closed.
REOPEN_DELTAS = {"in_progress": 1, "calls": -1, "errors": -1, "unpriced_calls": -1}
