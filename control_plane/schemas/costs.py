"""Cost figures and reports, all read from the hourly rollups. Money is a JSON string."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Literal, Self

from pydantic import BaseModel, Field, PlainSerializer, model_validator

from agentops.money import QUANTUM, money_text
from control_plane.schemas.common import Instant, Request

__all__ = ["QUANTUM", "MoneyOut"]

# Exact decimal as a fixed 10-place string ("0.0000000000", never "0E-10"), on every engine.
MoneyOut = Annotated[Decimal, PlainSerializer(money_text, return_type=str, when_used="json")]
GroupBy = Literal["org", "team", "agent", "model", "provider", "day"]


class TimeRange(Request):
    from_: Instant | None = Field(
        None, alias="from", description="Start (ISO 8601 with offset); default: 30 days ago."
    )
    to: Instant | None = Field(None, description="End, exclusive; default: now.")

    @model_validator(mode="after")
    def _ordered(self) -> Self:
        if self.from_ is not None and self.to is not None and self.from_ >= self.to:
            raise ValueError("from must be before to")
        return self


class Figures(BaseModel):
    calls: int = 0
    errors: int = 0
    error_rate: float = 0.0
    input_tokens: int = 0
    output_tokens: int = 0
    cached_read_tokens: int = 0
    cache_write_tokens: int = 0
    reasoning_tokens: int = 0
    cost_usd: MoneyOut = Decimal(0)
    unpriced_calls: int = 0
    unpriced_input_tokens: int = Field(0, description="Input tokens of the unpriced calls")
    unpriced_output_tokens: int = Field(0, description="Output tokens of the unpriced calls")
    latency_ms_avg: float | None = None
    # Estimated from the rollups' latency histogram (control_plane/api/costs.py: percentile).
    latency_ms_p50: float | None = None
    latency_ms_p95: float | None = None


class CostGroup(BaseModel):
    key: str  # id, name or day of the group
    label: str
    figures: Figures


class CostSummaryQuery(TimeRange):
    group_by: GroupBy = "agent"


class CostSummary(BaseModel):
    group_by: GroupBy
    start: datetime
    end: datetime
    totals: Figures
    groups: list[CostGroup]


class TrendPoint(BaseModel):
    at: str  # hour (YYYY-MM-DDTHH:00Z) or day (YYYY-MM-DD)
    calls: int
    errors: int
    tokens: int
    cost_usd: MoneyOut


class CostBreakdown(BaseModel):
    """The costs of one agent or team: totals, per model and per day."""

    scope: Literal["agent", "team"]
    id: str
    name: str
    start: datetime
    end: datetime
    totals: Figures
    by_model: list[CostGroup]
    by_day: list[TrendPoint]
