"""Store functions for approval requests; every query names the org (RLS backs it up)."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from control_plane.store.tables import ApprovalRequest, utcnow


async def create_request(session: AsyncSession, row: ApprovalRequest) -> ApprovalRequest:
    session.add(row)
    await session.flush()
    return row


async def get_request(
    session: AsyncSession, org_id: uuid.UUID, approval_id: str
) -> ApprovalRequest | None:
    stmt = select(ApprovalRequest).where(
        ApprovalRequest.org_id == org_id, ApprovalRequest.id == approval_id
    )
    return (await session.execute(stmt)).scalar_one_or_none()


async def exists(session: AsyncSession, approval_id: str) -> bool:
    """Whether the id is taken (in this org: under RLS another org's rows are invisible)."""
    stmt = select(ApprovalRequest.id).where(ApprovalRequest.id == approval_id)
    return (await session.execute(stmt)).first() is not None


async def list_requests(
    session: AsyncSession, org_id: uuid.UUID, *, status: str | None, limit: int
) -> list[ApprovalRequest]:
    """Newest first. ``status`` "expired": pending past its wait; "pending": still waiting."""
    now = utcnow()
    stmt = select(ApprovalRequest).where(ApprovalRequest.org_id == org_id)
    if status == "pending":
        stmt = stmt.where(ApprovalRequest.status == "pending", ApprovalRequest.expires_at > now)
    elif status == "expired":
        stmt = stmt.where(ApprovalRequest.status == "pending", ApprovalRequest.expires_at <= now)
    elif status is not None:
        stmt = stmt.where(ApprovalRequest.status == status)
    stmt = stmt.order_by(ApprovalRequest.requested_at.desc()).limit(limit)
    return list((await session.execute(stmt)).scalars().all())


async def decide(
    session: AsyncSession,
    org_id: uuid.UUID,
    approval_id: str,
    *,
    status: str,
    coverage: str | None,
    decided_by: str | None,
    decided_by_user_id: uuid.UUID | None,
    reason: str,
    now: datetime,
) -> bool:
    """Record the decision if the request is still pending and within its wait: False when
    another approver got there first or it has expired (the compare-and-set of two racers)."""
    stmt = (
        update(ApprovalRequest)
        .where(
            ApprovalRequest.org_id == org_id,
            ApprovalRequest.id == approval_id,
            ApprovalRequest.status == "pending",
            ApprovalRequest.expires_at > now,
        )
        .values(
            status=status,
            coverage=coverage,
            decided_by=decided_by,
            decided_by_user_id=decided_by_user_id,
            decided_at=now,
            decision_reason=reason,
        )
        .execution_options(synchronize_session=False)
    )
    result = await session.execute(stmt)
    return bool(getattr(result, "rowcount", 0))


async def list_active_topups(
    session: AsyncSession, org_id: uuid.UUID, now: datetime
) -> dict[uuid.UUID, list[ApprovalRequest]]:
    """Approved budget top-ups not yet expired, by budget id."""
    stmt = select(ApprovalRequest).where(
        ApprovalRequest.org_id == org_id,
        ApprovalRequest.status == "approved",
        ApprovalRequest.topup_budget_id.is_not(None),
        ApprovalRequest.topup_until > now,
    )
    found: dict[uuid.UUID, list[ApprovalRequest]] = {}
    for row in (await session.execute(stmt)).scalars():
        assert row.topup_budget_id is not None
        found.setdefault(row.topup_budget_id, []).append(row)
    return found
