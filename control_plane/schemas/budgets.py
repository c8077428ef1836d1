"""Budget models. Spend, the period window and the forecast are derived, never accepted."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field, field_validator
from pydantic.json_schema import SkipJsonSchema

from control_plane.schemas.common import NAME_PATTERN, Instant, PageQuery, Request
from control_plane.schemas.costs import MoneyOut

Scope = Literal["org", "team", "agent", "run"]
PeriodName = Literal["daily", "weekly", "monthly", "custom"]
Enforcement = Literal["soft", "hard"]
Percent = Annotated[Decimal, Field(gt=0, le=1000, max_digits=10, decimal_places=3)]
Usd = Annotated[Decimal, Field(ge=0, max_digits=20, decimal_places=10)]

# Fields of BudgetOut a client might echo back; sending one is a 400, not a silent no-op.
READ_ONLY_FIELDS = (
    "id",
    "current_spend_usd",
    "current_calls",
    "percent_used",
    "period_key",
    "period_start",
    "period_end",
    "forecast_usd",
    "paused",
    "created_at",
    "updated_at",
)
_Hidden = SkipJsonSchema[Any]


class _ReadOnly(Request):
    """Declares the read-only fields so the handler can answer them with a clear 400."""

    id: _Hidden = None
    current_spend_usd: _Hidden = None
    current_calls: _Hidden = None
    percent_used: _Hidden = None
    period_key: _Hidden = None
    period_start: _Hidden = None
    period_end: _Hidden = None
    forecast_usd: _Hidden = None
    paused: _Hidden = None
    created_at: _Hidden = None
    updated_at: _Hidden = None

    def read_only_sent(self) -> list[str]:
        return sorted(set(READ_ONLY_FIELDS) & self.model_fields_set)


def _thresholds(value: Any) -> Any:
    # "one or more thresholds": a single number is accepted as a list of one.
    return [value] if isinstance(value, int | float | str | Decimal) else value


class BudgetCreate(_ReadOnly):
    name: str = Field(min_length=1, max_length=200, pattern=NAME_PATTERN)
    scope: Scope
    target: str | None = Field(
        None,
        max_length=200,
        description="Team name (scope team) or agent name (scope agent or run); none for org.",
    )
    model: str | None = Field(None, min_length=1, max_length=200)
    provider: str | None = Field(None, min_length=1, max_length=50)
    period: PeriodName = "monthly"
    custom_start: Instant | None = None
    custom_end: Instant | None = None
    limit_usd: Usd
    max_calls: int | None = Field(None, ge=1, description="Run budgets: calls allowed per run.")
    threshold_alert_percent: list[Percent] = Field(default_factory=list, max_length=10)
    auto_pause_at_percent: Percent | None = None
    enforcement: Enforcement = Field(
        "soft", description="soft: alert only; hard: the proxy refuses calls that would exceed it."
    )

    _one_or_many = field_validator("threshold_alert_percent", mode="before")(_thresholds)


class BudgetUpdate(_ReadOnly):
    name: str | None = Field(None, min_length=1, max_length=200, pattern=NAME_PATTERN)
    model: str | None = Field(None, min_length=1, max_length=200)
    provider: str | None = Field(None, min_length=1, max_length=50)
    period: PeriodName | None = None
    custom_start: Instant | None = None
    custom_end: Instant | None = None
    limit_usd: Usd | None = None
    max_calls: int | None = Field(None, ge=1)
    threshold_alert_percent: list[Percent] | None = Field(None, max_length=10)
    auto_pause_at_percent: Percent | None = None
    enforcement: Enforcement | None = None

    _one_or_many = field_validator("threshold_alert_percent", mode="before")(_thresholds)


class BudgetOut(BaseModel):
    id: uuid.UUID
    name: str
    scope: Scope
    target: str | None
    model: str | None
    provider: str | None
    period: PeriodName
    custom_start: datetime | None
    custom_end: datetime | None
    limit_usd: MoneyOut
    max_calls: int | None
    threshold_alert_percent: list[Decimal]
    auto_pause_at_percent: Decimal | None
    enforcement: Enforcement
    # Derived for the window containing now (a run budget: the agent's latest run).
    current_spend_usd: MoneyOut
    current_calls: int
    percent_used: Decimal
    period_key: str
    period_start: datetime | None
    period_end: datetime | None
    forecast_usd: MoneyOut | None = Field(
        description="Projected spend at the period's end from the current run rate."
    )
    paused: bool = Field(description="The budget has paused its scope in this period.")
    created_at: datetime
    updated_at: datetime


class BudgetPage(BaseModel):
    items: list[BudgetOut]
    next_cursor: str | None


class BudgetQuery(PageQuery):
    pass
