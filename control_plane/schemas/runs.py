"""Runs, their calls and their timeline."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

from control_plane.schemas.costs import MoneyOut, TimeRange

RunStatus = Literal["running", "ok", "error"]


class RunQuery(TimeRange):
    agent: str | None = Field(None, max_length=200, description="Agent name.")
    team: str | None = Field(None, max_length=100, description="Team name.")
    status: RunStatus | None = None
    model: str | None = Field(None, max_length=200, description="Runs with a call to this model.")
    provider: str | None = Field(None, max_length=50)
    min_cost: MoneyOut | None = Field(None, ge=0, description="Minimum run cost (USD).")
    max_cost: MoneyOut | None = Field(None, ge=0)
    tag: str | None = Field(None, max_length=200, description="Text found in the run's tags.")
    sort: Literal["started_at", "cost"] = "started_at"
    limit: int = Field(50, ge=1, le=200)
    cursor: str | None = Field(None, max_length=200)


class RunOut(BaseModel):
    id: uuid.UUID
    run_id: str
    run_source: str
    agent_id: uuid.UUID
    agent: str | None
    team: str | None
    status: RunStatus
    calls: int
    in_progress: int
    errors: int
    input_tokens: int
    output_tokens: int
    cost_usd: MoneyOut
    unpriced_calls: int
    started_at: datetime
    last_at: datetime
    tags: dict[str, Any]


class RunPage(BaseModel):
    items: list[RunOut]
    next_cursor: str | None


class CallOut(BaseModel):
    call_id: uuid.UUID
    started_at: datetime
    ended_at: datetime | None
    provider: str
    endpoint: str
    model: str
    status: str
    http_status: int | None
    input_tokens: int
    output_tokens: int
    cached_read_tokens: int
    reasoning_tokens: int
    cost_usd: MoneyOut | None
    unpriced_reason: str | None
    price_version: str | None
    latency_ms: float | None
    ttft_ms: float | None
    error_type: str | None
    # The forensic detail of the call, from its stored record.
    model_requested: str | None = None
    model_served: str | None = None
    streamed: bool = False
    cache_write_tokens: int = 0
    token_source: str = Field("", description="reported (by the provider), estimated or none.")
    tool_names: list[str] = Field(default_factory=list)
    cost_breakdown: dict[str, MoneyOut] = Field(
        default_factory=dict, description="Cost per token class (USD)."
    )
    refusal_reason: str | None = None
    prompt: str | None = Field(None, description="Captured prompt (capture_content on, redacted).")
    completion: str | None = Field(None, description="Captured completion (capture_content on).")


class RunDetail(RunOut):
    call_list: list[CallOut]


class EventOut(BaseModel):
    id: uuid.UUID
    at: datetime
    kind: str
    call_id: uuid.UUID | None
    data: dict[str, Any]


class EventPage(BaseModel):
    run: uuid.UUID
    items: list[EventOut]


class RunResumeRequest(BaseModel):
    reason: str | None = Field(None, max_length=1000, description="Kept in the audit log.")


class RunResumed(BaseModel):
    id: uuid.UUID
    run_id: str = Field(description="The run id its calls carried.")
    pause: str = Field(description="What the lifted pause said: the policy and why.")
