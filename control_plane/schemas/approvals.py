"""Approval models: a held call's request as approvers see it, and their decision."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
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
    topup_budget_id: str | None = Field(default=None, description="A budget top-up: the budget")
    topup_usd: MoneyOut | None = Field(default=None, description="A budget top-up: how much")
    topup_seconds: int | None = Field(default=None, description="A budget top-up: how long")
    topup_until: datetime | None = Field(
        default=None, description="An approved top-up: in force until"
    )


class TopUpIn(Request):
    amount_usd: Decimal = Field(gt=0, le=Decimal(1_000_000), description="How much to add")
    hours: Decimal = Field(gt=0, le=168, description="For how long, from the approval")
    reason: str = Field(min_length=1, max_length=2000, description="Why (shown to approvers)")
    agent: str = Field(default="-", min_length=1, max_length=200, description="For which agent")
    wait_hours: int = Field(default=24, ge=1, le=168, description="How long approvers have")


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
