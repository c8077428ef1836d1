"""calls: the fact table, one row per LLM call (every cost figure is a sum over it).

On PostgreSQL it is range-partitioned by ``started_at`` month, so retention drops a partition
instead of deleting rows; the primary key must include the partition key, hence
``(org_id, call_id, started_at)``. The proxy stamps ``started_at`` once per call and writes it
into both records of a streamed call, so the key is stable and doubles as the idempotency key;
it is scoped by org, so one org re-sending another's call ids neither learns they exist nor
loses its own record (migration 0007_b).

No foreign keys to the registry: a call's cost history outlives the agent row it came from,
and a fact table this hot should not pay a per-row trigger.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Float,
    Index,
    Integer,
    Numeric,
    PrimaryKeyConstraint,
    String,
    Text,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import Mapped, mapped_column
from sqlalchemy.types import TypeDecorator, TypeEngine

from control_plane.store.tables._base import Base

MONEY_SCALE = 10
_UNITS = Decimal(10) ** MONEY_SCALE


class ExactMoney(TypeDecorator[Decimal]):
    """NUMERIC(20, 10) on PostgreSQL; integer units of 1e-10 USD on SQLite.

    SQLite has no decimal type: its NUMERIC is a binary float, so ``SUM`` would round. Integer
    units keep every sum exact there too (SQLite integer sums raise on overflow, never wrap).
    """

    impl = Numeric(20, MONEY_SCALE)
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name == "sqlite":
            return dialect.type_descriptor(BigInteger())
        return dialect.type_descriptor(Numeric(20, MONEY_SCALE))

    def process_bind_param(self, value: Decimal | None, dialect: Dialect) -> Any:
        if value is None or dialect.name != "sqlite":
            return value
        return int((Decimal(value) * _UNITS).to_integral_value())

    def process_result_value(self, value: Any, dialect: Dialect) -> Decimal | None:
        if value is None:
            return None
        if dialect.name == "sqlite":
            return Decimal(int(value)) / _UNITS
        return Decimal(value)


class Call(Base):
    __tablename__ = "calls"
    __table_args__ = (
        PrimaryKeyConstraint("org_id", "call_id", "started_at"),
        Index(None, "run_pk", "started_at"),
        Index(None, "org_id", "agent_id", "started_at"),
        {"postgresql_partition_by": "RANGE (started_at)"},
    )

    call_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    started_at: Mapped[datetime] = mapped_column(primary_key=True)
    org_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    agent_id: Mapped[uuid.UUID] = mapped_column()
    team_id: Mapped[uuid.UUID | None] = mapped_column()
    run_pk: Mapped[uuid.UUID] = mapped_column()
    run_source: Mapped[str] = mapped_column(String(20))
    proxy_id: Mapped[str | None] = mapped_column(String(200))
    provider: Mapped[str] = mapped_column(String(50))
    endpoint: Mapped[str] = mapped_column(String(50))
    method: Mapped[str] = mapped_column(String(10))
    host: Mapped[str] = mapped_column(String(255))
    path: Mapped[str] = mapped_column(String(2000))
    metered: Mapped[bool] = mapped_column(Boolean)
    model: Mapped[str] = mapped_column(String(200))  # served, else requested, else ""
    model_requested: Mapped[str | None] = mapped_column(String(200))
    model_served: Mapped[str | None] = mapped_column(String(200))
    streamed: Mapped[bool] = mapped_column(Boolean)
    service_tier: Mapped[str | None] = mapped_column(String(50))
    status: Mapped[str] = mapped_column(String(20))
    http_status: Mapped[int | None] = mapped_column(Integer)
    error_type: Mapped[str | None] = mapped_column(String(200))
    error_message: Mapped[str | None] = mapped_column(Text)
    parse_error: Mapped[str | None] = mapped_column(Text)
    input_tokens: Mapped[int] = mapped_column(BigInteger)
    output_tokens: Mapped[int] = mapped_column(BigInteger)
    cached_read_tokens: Mapped[int] = mapped_column(BigInteger)
    cache_write_tokens: Mapped[int] = mapped_column(BigInteger)  # 5m + 1h
    reasoning_tokens: Mapped[int] = mapped_column(BigInteger)
    token_source: Mapped[str] = mapped_column(String(10))
    cost_usd: Mapped[Decimal | None] = mapped_column(ExactMoney())
    price_version: Mapped[str | None] = mapped_column(String(100))
    unpriced_reason: Mapped[str | None] = mapped_column(String(100))
    ended_at: Mapped[datetime | None] = mapped_column()
    latency_ms: Mapped[float | None] = mapped_column(Float)
    ttft_ms: Mapped[float | None] = mapped_column(Float)
    # The rest of the record as sent (token and cost details, tool names, tags, captured
    # content): what a detail view shows, without a column per rarely queried field.
    record: Mapped[dict[str, Any]] = mapped_column()
