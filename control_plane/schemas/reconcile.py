"""Reconciliation of a provider's bill with the captured calls."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, Field

from control_plane.schemas.common import Request
from control_plane.schemas.costs import MoneyOut

BillProvider = Literal["openai", "anthropic", "bedrock"]


class ReconcileRequest(Request):
    provider: BillProvider = Field(description="Whose export the file is.")
    content: str = Field(
        min_length=1,
        description="The export's text: OpenAI Costs API JSON, Anthropic cost report JSON, "
        "or an AWS CUR CSV excerpt (Bedrock).",
    )
    threshold_percent: Decimal = Field(
        Decimal(5), ge=0, le=100, max_digits=6, decimal_places=2,
        description="A day and model drifting more than this (in % of the bill) is flagged.",
    )  # fmt: skip
    notify: bool = Field(
        True, description="Alert the org's channels when a line is flagged (needs alerts:write)."
    )


class ReconLineOut(BaseModel):
    day: date
    model: str
    status: Literal["ok", "drift", "not_captured", "not_billed"]
    provider_usd: MoneyOut
    captured_usd: MoneyOut
    drift_usd: MoneyOut
    drift_percent: Decimal | None = Field(description="Drift in % of the bill (null: not billed).")
    captured_calls: int
    unpriced_calls: int = Field(description="Captured calls without a price (not in captured_usd).")
    captured_models: list[str]


class ReconcileResult(BaseModel):
    provider: BillProvider
    start: date
    end: date = Field(description="Last day of the bill (inclusive).")
    threshold_percent: Decimal
    provider_usd: MoneyOut
    captured_usd: MoneyOut
    drift_usd: MoneyOut
    uncaptured_usd: MoneyOut = Field(description="Billed on days and models no call was captured.")
    flagged: int = Field(description="Lines beyond the threshold, not captured, or not billed.")
    alerted: int = Field(description="Alert deliveries queued.")
    lines: list[ReconLineOut]
