"""Org price overrides, unpriced models and re-pricing. Money and rates are JSON strings."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from decimal import Decimal
from typing import Annotated, Self

from pydantic import (
    BaseModel,
    Field,
    field_validator,
    model_validator,
)

from control_plane.schemas.common import Instant, Request
from control_plane.schemas.costs import MoneyOut, TimeRange
from pricing import RATE_CLASSES

# USD per million tokens (``request``: USD per request); exact, as the store keeps them.
Rate = Annotated[Decimal, Field(ge=0, le=1_000_000, max_digits=20, decimal_places=10)]
RATE_FIELDS = RATE_CLASSES  # the rate classes as pricing names them


def _utc(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    try:
        return value.astimezone(UTC)
    except OverflowError:
        raise ValueError("timestamp out of range") from None


class OverrideCreate(Request):
    """Rates in USD per million tokens; a class left out keeps the catalogue rate (or, for a
    model the catalogue lacks, falls back as the pricing rules say: cached_read → input...)."""

    model: str = Field(min_length=1, max_length=200, description="Model name or catalogue key.")
    provider: str | None = Field(
        None, min_length=1, max_length=50, description="Provider; none: the exact catalogue key."
    )
    input: Rate | None = None
    output: Rate | None = None
    cached_read: Rate | None = None
    cache_write_5m: Rate | None = None
    cache_write_1h: Rate | None = None
    reasoning: Rate | None = None
    audio_input: Rate | None = None
    audio_output: Rate | None = None
    request: Rate | None = Field(None, description="Per-request fee, USD.")
    discount_percent: (
        Annotated[Decimal, Field(ge=0, le=100, max_digits=13, decimal_places=10)] | None
    ) = Field(None, description="Scales every catalogue rate of the model first.")
    effective_from: Instant | None = Field(
        None, description="Calls started before this keep the catalogue price; none: all calls."
    )

    _utc_from = field_validator("effective_from")(_utc)

    @model_validator(mode="after")
    def _sets_a_price(self) -> Self:
        if self.discount_percent is None and all(getattr(self, f) is None for f in RATE_FIELDS):
            raise ValueError("give at least one rate or a discount_percent")
        return self


class OverrideOut(BaseModel):
    id: uuid.UUID
    model: str
    provider: str | None
    input: MoneyOut | None
    output: MoneyOut | None
    cached_read: MoneyOut | None
    cache_write_5m: MoneyOut | None
    cache_write_1h: MoneyOut | None
    reasoning: MoneyOut | None
    audio_input: MoneyOut | None
    audio_output: MoneyOut | None
    request: MoneyOut | None
    discount_percent: MoneyOut | None
    effective_from: datetime | None
    version: int = Field(description="The org override version this change created.")
    created_by: str | None
    created_at: datetime


class OverrideList(BaseModel):
    version: int = Field(description="The org's override-set version (0: never set).")
    price_version: str = Field(description="What costs priced with these overrides record.")
    items: list[OverrideOut]


class OverrideDeleteQuery(Request):
    model: str = Field(min_length=1, max_length=200)
    provider: str | None = Field(None, min_length=1, max_length=50)


class UnpricedQuery(TimeRange):
    _utc_bounds = field_validator("from_", "to")(_utc)


class UnpricedModelOut(BaseModel):
    model: str
    provider: str
    calls: int
    first_seen: datetime
    last_seen: datetime


class UnpricedModels(BaseModel):
    start: datetime
    end: datetime
    calls: int = Field(description="Unpriced calls in the range, all models.")
    items: list[UnpricedModelOut]


class RepriceRequest(Request):
    from_: Instant = Field(alias="from", description="Start (ISO 8601 with offset).")
    to: Instant = Field(description="End, exclusive.")
    model: str | None = Field(None, min_length=1, max_length=200, description="Only this model.")
    agent: str | None = Field(None, min_length=1, max_length=200, description="Only this agent.")
    dry_run: bool = Field(False, description="Report what would change; write nothing.")

    _utc_bounds = field_validator("from_", "to")(_utc)

    @model_validator(mode="after")
    def _ordered(self) -> Self:
        if self.from_ >= self.to:
            raise ValueError("from must be before to")
        return self


class CostChangeOut(BaseModel):
    call_id: uuid.UUID
    started_at: datetime
    model: str
    old_total_usd: MoneyOut | None
    new_total_usd: MoneyOut
    old_price_version: str | None
    new_price_version: str


class RepriceResult(BaseModel):
    batch_id: uuid.UUID | None = Field(
        description="Id of the recorded corrections; none on dry runs."
    )
    dry_run: bool
    start: datetime
    end: datetime
    price_version: str
    calls_examined: int
    calls_changed: int
    newly_priced: int = Field(description="Changed calls that had no price before.")
    old_total_usd: MoneyOut = Field(description="What the changed calls cost before (unpriced: 0).")
    new_total_usd: MoneyOut
    delta_usd: MoneyOut
    changes: list[CostChangeOut] = Field(description="The first 100 changed calls.")
    changes_truncated: bool
