"""Per-call records: the list (filters as for runs, keyset pages) and one call with everything
stored about it. Money is a fixed 10-place string; an unpriced call has ``cost_usd: null`` and
says why, never ``0``."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

from control_plane.schemas.costs import MoneyOut, TimeRange
from control_plane.schemas.runs import CallOut

CallStatusName = Literal[
    "in_progress",
    "ok",
    "error",
    "cancelled",
    "killed",
    "refused",
    "upstream_failed",
    "interrupted",
]


class CallQuery(TimeRange):
    agent: str | None = Field(None, max_length=200, description="Agent name.")
    team: str | None = Field(None, max_length=100, description="Team name.")
    run: str | None = Field(
        None, max_length=200, description="A run's id or the run id its calls carried."
    )
    status: CallStatusName | None = None
    model: str | None = Field(None, max_length=200, description="Model as served (else requested).")
    provider: str | None = Field(None, max_length=50)
    priced: bool | None = Field(None, description="true: priced calls only; false: unpriced only.")
    min_cost: MoneyOut | None = Field(None, ge=0, description="Minimum call cost (USD).")
    max_cost: MoneyOut | None = Field(None, ge=0)
    tag: str | None = Field(None, max_length=200, description="Text found in the call's tags.")
    limit: int = Field(50, ge=1, le=500)
    cursor: str | None = Field(None, max_length=200)


class CallListItem(CallOut):
    run: uuid.UUID
    run_id: str
    agent_id: uuid.UUID
    agent: str | None
    team: str | None
    model_requested: str | None
    model_served: str | None
    streamed: bool
    cache_write_tokens: int
    token_source: str


class CallPage(BaseModel):
    items: list[CallListItem]
    next_cursor: str | None


class TokensOut(BaseModel):
    """Every token class. ``input``/``output`` are totals; the finer classes are subsets.
    ``source``: ``reported`` by the provider, ``estimated`` by us, or ``none``."""

    input: int = 0
    output: int = 0
    cached_read: int = 0
    cache_write_5m: int = 0
    cache_write_1h: int = 0
    reasoning: int = 0
    audio_input: int = 0
    audio_output: int = 0
    source: str = "none"
    estimated_input_tokens: int | None = None


class CostOut(BaseModel):
    total_usd: MoneyOut | None
    breakdown: dict[str, MoneyOut] = Field(description="USD per billed class.")
    price_version: str | None
    priced_model: str | None
    unpriced_reason: str | None


class CallDetail(BaseModel):
    call_id: uuid.UUID
    run: uuid.UUID
    run_id: str
    run_source: str
    agent_id: uuid.UUID
    agent: str | None
    team: str | None
    proxy_id: str | None
    provider: str
    endpoint: str
    method: str
    host: str
    path: str
    metered: bool
    model: str
    model_requested: str | None
    model_served: str | None
    streamed: bool
    service_tier: str | None
    status: str
    http_status: int | None
    error_type: str | None
    error_message: str | None
    parse_error: str | None
    finish_reason: str | None
    refusal_reason: str | None
    tokens: TokensOut
    cost: CostOut
    started_at: datetime
    ended_at: datetime | None
    latency_ms: float | None
    ttft_ms: float | None
    upstream_ms: float | None
    overhead_ms: float | None
    request_bytes: int
    response_bytes: int
    tool_names: list[str]
    tags: dict[str, Any]
    prompt: str | None = Field(None, description="Only when content capture is on (redacted).")
    completion: str | None = None
