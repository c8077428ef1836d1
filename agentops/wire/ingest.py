"""Ingestion wire schema: what the shipper posts and what the control plane answers."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

OutcomeStatus = Literal["stored", "duplicate", "rejected"]


class RecordOutcome(BaseModel):
    """The fate of one record of a batch: the shipper drops stored/duplicate/rejected alike,
    and keeps (retries) only what got no outcome because the whole request failed."""

    model_config = ConfigDict(extra="forbid")

    index: int
    call_id: str | None = None
    status: OutcomeStatus
    reason: str | None = None


class IngestBatchResponse(BaseModel):
    stored: int = 0
    duplicate: int = 0
    rejected: int = 0
    outcomes: list[RecordOutcome] = Field(default_factory=list)
