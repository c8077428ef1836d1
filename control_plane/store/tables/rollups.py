"""cost_rollups (hourly) and cost_rollups_daily: aggregates per (org, agent, team, model,
provider), kept by ingestion in the same transaction as the calls.

Dashboards and cost reports read these, never the fact table; a range reads whole UTC days
from the daily table and only its partial first and last days from the hourly one. Latency percentiles come from a
fixed histogram (one counter column per bucket) that sums across rows and hours. ``team_id``
is the agent's team when the call was stored (the nil UUID: no team), so a later reassignment
does not rewrite history; it is part of the key, which therefore cannot hold NULL.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal

from sqlalchemy import BigInteger, Float, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from control_plane.store.tables._base import Base
from control_plane.store.tables.calls import ExactMoney

NO_TEAM = uuid.UUID(int=0)
# Upper bounds (ms) of the latency buckets; the last bucket is open-ended.
LATENCY_BOUNDS_MS: tuple[float, ...] = (
    50, 100, 200, 400, 800, 1_500, 3_000, 6_000, 12_000, 30_000, 60_000,
)  # fmt: skip
LATENCY_BUCKETS = len(LATENCY_BOUNDS_MS) + 1


class _Counters:
    calls: Mapped[int] = mapped_column(BigInteger)
    errors: Mapped[int] = mapped_column(BigInteger)
    input_tokens: Mapped[int] = mapped_column(BigInteger)
    output_tokens: Mapped[int] = mapped_column(BigInteger)
    cached_read_tokens: Mapped[int] = mapped_column(BigInteger)
    cache_write_tokens: Mapped[int] = mapped_column(BigInteger)
    reasoning_tokens: Mapped[int] = mapped_column(BigInteger)
    cost_usd: Mapped[Decimal] = mapped_column(ExactMoney())
    unpriced_calls: Mapped[int] = mapped_column(BigInteger)
    # The tokens of the unpriced calls: the usage their cost leaves out (migration 0021_cli).
    unpriced_input_tokens: Mapped[int] = mapped_column(BigInteger)
    unpriced_output_tokens: Mapped[int] = mapped_column(BigInteger)
    latency_count: Mapped[int] = mapped_column(BigInteger)
    latency_ms_sum: Mapped[float] = mapped_column(Float)
    lat_b0: Mapped[int] = mapped_column(Integer)
    lat_b1: Mapped[int] = mapped_column(Integer)
    lat_b2: Mapped[int] = mapped_column(Integer)
    lat_b3: Mapped[int] = mapped_column(Integer)
    lat_b4: Mapped[int] = mapped_column(Integer)
    lat_b5: Mapped[int] = mapped_column(Integer)
    lat_b6: Mapped[int] = mapped_column(Integer)
    lat_b7: Mapped[int] = mapped_column(Integer)
    lat_b8: Mapped[int] = mapped_column(Integer)
    lat_b9: Mapped[int] = mapped_column(Integer)
    lat_b10: Mapped[int] = mapped_column(Integer)
    lat_b11: Mapped[int] = mapped_column(Integer)


class CostRollup(_Counters, Base):
    __tablename__ = "cost_rollups"

    org_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), primary_key=True
    )
    hour: Mapped[datetime] = mapped_column(primary_key=True)
    agent_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    team_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    model: Mapped[str] = mapped_column(String(200), primary_key=True)
    provider: Mapped[str] = mapped_column(String(50), primary_key=True)


class CostRollupDaily(_Counters, Base):
    __tablename__ = "cost_rollups_daily"

    org_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), primary_key=True
    )
    day: Mapped[datetime] = mapped_column(primary_key=True)  # midnight UTC
    agent_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    team_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    model: Mapped[str] = mapped_column(String(200), primary_key=True)
    provider: Mapped[str] = mapped_column(String(50), primary_key=True)


BUCKET_COLUMNS = tuple(f"lat_b{i}" for i in range(LATENCY_BUCKETS))
