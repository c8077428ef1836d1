"""Approval models: a held call's request as approvers see it, and their decision."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from control_plane.schemas.common import Request
from control_plane.schemas.costs import MoneyOut

ApprovalStatus = Literal["pending", "approved", "denied", "expired"]


class ApprovalOut(BaseModel):
    id: str
    status: ApprovalStatus
    agent: str
    run_id: str
    provider: str
    model: str | None
    policy_id: str
    policy_name: str
    reason: str = Field(description="Why the policy held the call")
    estimated_cost_usd: MoneyOut | None = Field(
        description="Worst-case cost of the call; null when the model is unpriced"
    )
    excerpt: str | None = Field(description="Prompt excerpt, only with content capture on")
    proxy_id: str
    approver_roles: list[str]
    approver_members: list[str]
    requested_at: datetime
    expires_at: datetime
    coverage: Literal["call", "run"] | None = None
    decided_by: str | None = None
    decided_at: datetime | None = None
    decision_reason: str | None = None


class ApprovalPage(BaseModel):
    items: list[ApprovalOut]


class ApprovalQuery(Request):
    status: ApprovalStatus | None = None
    limit: int = Field(default=50, ge=1, le=200)


class ApproveIn(Request):
    reason: str = Field(min_length=1, max_length=2000, description="Why (audited)")
    for_run: bool = Field(default=False, description="Approve the rest of this run as well")


class DenyIn(Request):
    reason: str = Field(
        min_length=1, max_length=2000, description="Why (audited, told to the agent)"
    )


class ApprovalAsked(BaseModel):
    id: str
    expires_at: datetime
