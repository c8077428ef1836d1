"""job_runs: when each background job is next due, shared by every control-plane replica.

A replica's worker claims a job's row with ``SELECT … FOR UPDATE SKIP LOCKED``, runs the job
only when it is due, and moves the due time on in the same transaction: N replicas run each
job once per due time, not N times.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, String
from sqlalchemy.orm import Mapped, mapped_column

from control_plane.store.tables._base import Base


class JobRun(Base):
    __tablename__ = "job_runs"

    name: Mapped[str] = mapped_column(String(100), primary_key=True)
    next_due_at: Mapped[datetime] = mapped_column()
    last_run_at: Mapped[datetime | None] = mapped_column()
    last_runner: Mapped[str | None] = mapped_column(String(200))  # host:pid of the replica
    runs: Mapped[int] = mapped_column(BigInteger, default=0)  # completed runs, all replicas
