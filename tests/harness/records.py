"""Tiny builders of call records, as the proxy would ship them (JSON-ready dicts)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from agentops.ids import uuid7

T0 = datetime.now(UTC).replace(minute=0, second=0, microsecond=0) - timedelta(hours=2)


def record(
    org: str = "acme",
    agent: str = "bot",
    *,
    run_id: str = "run-1",
    status: str = "ok",
    cost: str | None = "0.0012",
    model: str = "gpt-4o-mini",
    provider: str = "openai",
    input_tokens: int = 100,
    output_tokens: int = 20,
    latency_ms: float | None = 300.0,
    started_at: datetime | None = None,
    call_id: uuid.UUID | None = None,
    **extra: Any,
) -> dict[str, Any]:
    started = started_at or T0
    cost_info: dict[str, Any] = (
        {"total_usd": cost, "price_version": "2026-11-01"}
        if cost is not None
        else {"unpriced_reason": "unpriced_model"}
    )
    return {
        "call_id": str(call_id or uuid7()),
        "org": org,
        "agent": agent,
        "run_id": run_id,
        "run_source": "header",
        "provider": provider,
        "endpoint": "chat.completions",
        "host": "api.openai.com",
        "path": "/v1/chat/completions",
        "model_requested": model,
        "model_served": model,
        "status": status,
        "http_status": 200 if status == "ok" else 500,
        "tokens": {"input": input_tokens, "output": output_tokens},
        "cost": cost_info,
        "started_at": started.isoformat(),
        "ended_at": None
        if status == "in_progress"
        else (started + timedelta(seconds=1)).isoformat(),
        "latency_ms": None if status == "in_progress" else latency_ms,
        **extra,
    }


def money(value: Any) -> Decimal:
    return Decimal(str(value))
