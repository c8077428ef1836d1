"""Claiming a background job's due time, shared by every control-plane replica (PostgreSQL).

``claim_due`` locks the job's ``job_runs`` row with ``FOR UPDATE SKIP LOCKED``: a replica that
finds it locked (another runs the job now) or not yet due skips the job. The caller runs the
job while holding the lock and then ``advance``\\ s the due time in the same transaction, so
the next due time is written only by a run that finished; a failed run rolls back and the job
stays due. Times come from the database's clock, so replicas' clocks need not agree.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from control_plane.store.tables import JobRun


async def ensure_job(session: AsyncSession, name: str) -> None:
    """Create the job's row, due at once (idempotent; committed before any claim)."""
    epoch = datetime(1970, 1, 1, tzinfo=UTC)
    stmt = insert(JobRun).values(name=name, next_due_at=epoch, runs=0).on_conflict_do_nothing()
    await session.execute(stmt)


async def claim_due(session: AsyncSession, name: str) -> tuple[datetime | None, float]:
    """(the database's time, 0) when the job is due and this session now holds it; else
    (None, seconds until it is due: 0 when another session holds it)."""
    stmt = (
        select(JobRun.next_due_at, func.clock_timestamp())
        .where(JobRun.name == name)
        .with_for_update(skip_locked=True)
    )
    row = (await session.execute(stmt)).first()
    if row is None:
        return None, 0.0
    due: datetime
    now: datetime
    due, now = row[0], row[1]
    if due > now:
        return None, (due - now).total_seconds()
    return now, 0.0


async def advance(
    session: AsyncSession, name: str, started: datetime, period: float, runner: str
) -> None:
    """After a run that began at ``started``: due again ``period`` seconds after that."""
    await session.execute(
        update(JobRun)
        .where(JobRun.name == name)
        .values(
            next_due_at=started + timedelta(seconds=period),
            last_run_at=started,
            last_runner=runner,
            runs=JobRun.runs + 1,
        )
    )
