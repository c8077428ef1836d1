"""Approvals on the wire: what a proxy asks the control plane for a held call, and the verdict
that travels back on the control-state bus to whichever proxy holds it."""

from __future__ import annotations

from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

Verdict = Literal["approved", "denied"]
Coverage = Literal["call", "run"]


class ApprovalAsk(BaseModel):
    """A proxy's request for one held call (POST /api/v1/proxies/approvals, ingest key)."""

    model_config = ConfigDict(extra="forbid")

    id: str = Field(min_length=8, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")
    agent: str = Field(min_length=1, max_length=200)
    run_id: str = Field(min_length=1, max_length=200)
    provider: str = Field(max_length=50)
    model: str | None = Field(default=None, max_length=200)
    policy_id: str = Field(min_length=1, max_length=64)
    policy_name: str = Field(max_length=100)
    reason: str = Field(default="", max_length=2000)
    estimated_cost_usd: Decimal | None = None  # None: unpriced, never shown as $0
    excerpt: str | None = Field(default=None, max_length=2000)  # only with content capture on
    key_id: str | None = Field(default=None, max_length=100)  # the agentops key it came with
    proxy_id: str = Field(default="", max_length=200)
    timeout_seconds: int = Field(ge=1, le=3600)


class ApprovalVerdict(BaseModel):
    """Published once an approver decides: the proxy holding ``id`` proceeds or refuses; with
    ``coverage == "run"`` every proxy lets the rest of the run through that policy."""

    model_config = ConfigDict(extra="forbid")

    org: str
    id: str
    verdict: Verdict
    coverage: Coverage = "call"
    run_id: str
    policy_id: str
    reason: str = ""
    decided_by: str = ""
