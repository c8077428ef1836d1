"""approval_requests: calls held by a require_approval policy, and what an approver decided.

The id is the proxy's (it keys the future the held call waits on). Who may decide is copied
from the policy when the request is stored, so editing the policy later does not change who
could approve a call already waiting. ``requester_user_id`` is the member whose AgentOps key
the call came with: never an approver of their own call.

A budget top-up is a request of the same table (``topup_*`` set, ``policy_id``
``budget:<id>``): approved, it raises the hard budget by ``topup_usd`` until ``topup_until``.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal

from sqlalchemy import Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from control_plane.store.tables._base import Base, Money, created_column, org_column

STATUSES = ("pending", "approved", "denied")  # "expired" is pending past expires_at


class ApprovalRequest(Base):
    __tablename__ = "approval_requests"
    __table_args__ = (
        Index(None, "org_id", "status", "requested_at"),
        Index(None, "org_id", "topup_budget_id"),
    )

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    org_id: Mapped[uuid.UUID] = org_column()
    agent: Mapped[str] = mapped_column(String(200))
    run_id: Mapped[str] = mapped_column(String(200))
    provider: Mapped[str] = mapped_column(String(50))
    model: Mapped[str | None] = mapped_column(String(200))
    policy_id: Mapped[str] = mapped_column(String(64))
    policy_name: Mapped[str] = mapped_column(String(100))
    reason: Mapped[str] = mapped_column(Text)
    estimated_cost_usd: Mapped[Decimal | None] = mapped_column(Money)
    excerpt: Mapped[str | None] = mapped_column(Text)
    key_id: Mapped[str | None] = mapped_column(String(100))
    requester_user_id: Mapped[uuid.UUID | None] = mapped_column()
    proxy_id: Mapped[str] = mapped_column(String(200))
    approver_roles: Mapped[list[str]] = mapped_column()
    approver_members: Mapped[list[str]] = mapped_column()
    status: Mapped[str] = mapped_column(String(10), default="pending")
    coverage: Mapped[str | None] = mapped_column(String(4))
    decided_by: Mapped[str | None] = mapped_column(String(320))
    decided_by_user_id: Mapped[uuid.UUID | None] = mapped_column()
    decided_at: Mapped[datetime | None] = mapped_column()
    decision_reason: Mapped[str | None] = mapped_column(Text)
    requested_at: Mapped[datetime] = created_column()
    expires_at: Mapped[datetime] = mapped_column()
    topup_budget_id: Mapped[uuid.UUID | None] = mapped_column()
    topup_usd: Mapped[Decimal | None] = mapped_column(Money)
    topup_seconds: Mapped[int | None] = mapped_column(Integer)
    topup_until: Mapped[datetime | None] = mapped_column()
