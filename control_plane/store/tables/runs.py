"""runs: one agent run, the aggregate of its calls, maintained by ingestion.

The primary key is derived from ``(org_id, run_key)`` (a UUIDv5), so a batch can write its
calls and the run they belong to without a round trip to learn the run's id.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import BigInteger, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from control_plane.store.tables._base import Base, org_column
from control_plane.store.tables.calls import ExactMoney

RUN_STATUSES = ("running", "ok", "error")
_RUN_NAMESPACE = uuid.UUID("0193c1f6-8a3e-7c11-9a55-52a4d9a6e7b1")


def run_pk(org_id: uuid.UUID, run_key: str) -> uuid.UUID:
    return uuid.uuid5(_RUN_NAMESPACE, f"{org_id}:{run_key}")


class Run(Base):
    __tablename__ = "runs"
    __table_args__ = (
        UniqueConstraint("org_id", "run_key"),
        Index(None, "org_id", "started_at"),
        Index(None, "org_id", "cost_usd"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    org_id: Mapped[uuid.UUID] = org_column()
    run_key: Mapped[str] = mapped_column(String(200))  # the run id the record carried
    run_source: Mapped[str] = mapped_column(String(20))
    agent_id: Mapped[uuid.UUID] = mapped_column()
    team_id: Mapped[uuid.UUID | None] = mapped_column()
    status: Mapped[str] = mapped_column(String(10))
    calls: Mapped[int] = mapped_column(Integer)  # final calls
    in_progress: Mapped[int] = mapped_column(Integer)
    errors: Mapped[int] = mapped_column(Integer)
    input_tokens: Mapped[int] = mapped_column(BigInteger)
    output_tokens: Mapped[int] = mapped_column(BigInteger)
    cost_usd: Mapped[Decimal] = mapped_column(ExactMoney())
    unpriced_calls: Mapped[int] = mapped_column(Integer)
    started_at: Mapped[datetime] = mapped_column()
    last_at: Mapped[datetime] = mapped_column()
    tags: Mapped[dict[str, Any]] = mapped_column()  # tags of the run's first call
