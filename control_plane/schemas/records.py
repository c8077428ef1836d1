"""Ingestion bodies and answers: the batch wire format and the single-run report."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from agentops.wire.ingest import IngestBatchResponse
from control_plane.schemas.common import NAME_PATTERN, Instant, Request

MAX_BATCH = 5000


class IngestBatchRequest(Request):
    """``{"records": [CallRecord, ...]}``. Records are validated one by one, not here, so that
    one bad record is rejected alone instead of failing the batch."""

    records: list[Any] = Field(max_length=MAX_BATCH)


class RunEventIn(Request):
    kind: str = Field(min_length=1, max_length=40, pattern=r"^[a-z][a-z0-9_.]*$")
    at: Instant
    data: dict[str, Any] = Field(default_factory=dict)


class IngestRunRequest(Request):
    """One run as an agent or SDK reports it directly: its calls and its own events.

    Each call is a CallRecord; ``org``, ``agent``, ``run_id`` and ``run_source`` may be left
    out and are then taken from the run (and the API key's org).
    """

    run_id: str = Field(min_length=1, max_length=200)
    agent: str = Field(min_length=1, max_length=200, pattern=NAME_PATTERN)
    calls: list[dict[str, Any]] = Field(default_factory=list, max_length=MAX_BATCH)
    events: list[RunEventIn] = Field(default_factory=list, max_length=MAX_BATCH)


class IngestRunResponse(BaseModel):
    run_id: str
    run: str  # the run's id in /runs/{run_id}
    calls: IngestBatchResponse
    events_stored: int
