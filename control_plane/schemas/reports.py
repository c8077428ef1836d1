"""Cost report models."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from control_plane.schemas.common import InstantOrDay, Request
from control_plane.schemas.costs import MoneyOut

ReportFormat = Literal["json", "csv", "focus"]
DIMENSIONS = ("org", "team", "agent", "model", "provider", "day", "week", "month")


class CostReportQuery(Request):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    from_: InstantOrDay | None = Field(
        None,
        alias="from",
        description="Start (inclusive); a date is local midnight. Default: 30 days ago.",
    )
    to: InstantOrDay | None = Field(
        None, description="End (exclusive); a date is local midnight. Default: now."
    )
    by: str = Field(
        "model", max_length=200, description=f"Comma-separated grouping: {', '.join(DIMENSIONS)}."
    )
    format: ReportFormat | None = Field(
        None,
        description="json (default), csv, or focus (FOCUS 1.2 CSV). Accept: text/csv also selects csv.",
    )
    offset: int = Field(0, ge=0, description="JSON only: first line of the page.")
    limit: int = Field(1000, ge=1, le=10_000, description="JSON only: lines per page.")

    @field_validator("by")
    @classmethod
    def _known(cls, value: str) -> str:
        dims = [d.strip() for d in value.split(",") if d.strip()]
        unknown = [d for d in dims if d not in DIMENSIONS]
        if unknown or not dims or len(set(dims)) != len(dims):
            raise ValueError(f"group by one or more distinct of {', '.join(DIMENSIONS)}")
        return ",".join(dims)

    @property
    def group_by(self) -> list[str]:
        return self.by.split(",")


class Measures(BaseModel):
    calls: int
    unpriced_calls: int
    input_tokens: int
    output_tokens: int
    cost_usd: MoneyOut = Field(description="Cost of the priced calls; unpriced calls are left out.")
    unpriced_input_tokens: int
    unpriced_output_tokens: int
    pricing_status: Literal["priced", "partial", "unpriced"] = Field(
        description="partial: some calls of the line are unpriced; unpriced: all of them."
    )


class ReportLine(Measures):
    keys: dict[str, str]


class CostReport(BaseModel):
    org: str
    timezone: str
    start: datetime
    end: datetime
    group_by: list[str]
    lines: list[ReportLine]
    line_count: int = Field(description="Lines in the whole report (all pages).")
    next_offset: int | None
    totals: Measures = Field(description="Totals of the whole report, not just this page.")
    warning: str | None = Field(
        description='"N calls unpriced …" when the cost leaves calls out, else null.'
    )
