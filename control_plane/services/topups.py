"""Budget top-ups: a temporary, expiring increase of a hard budget, asked for by whoever its
refusal stopped (``agentops budgets topup``) and granted by an approver through the approvals
flow (``agentops approvals approve``).

A request is an approval request with ``topup_*`` set. Approved, it runs from the decision for
the hours asked; the snapshot the approval publishes carries it on the budget's rule
(``BudgetRule.topups``), so every proxy raises the limit at once and drops the increase by its
own clock when it expires, with no republish needed.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

from agentops.wire.control import ControlSnapshot
from control_plane import app_keys
from control_plane.endpoint import ApiRequest
from control_plane.services import budgets as budget_rules
from control_plane.services import control_state
from control_plane.store.tables import ApprovalRequest
from control_plane.store.types import AsyncSession

APPROVERS = ["owner", "admin"]


async def granted(
    session: AsyncSession, org_id: uuid.UUID, row: ApprovalRequest, now: datetime
) -> ControlSnapshot | None:
    """Start an approved top-up's clock and build the snapshot that enforces it (None when
    ``row`` is no top-up, or was denied)."""
    if row.topup_budget_id is None or row.status != "approved" or row.topup_seconds is None:
        return None
    row.topup_until = now + timedelta(seconds=row.topup_seconds)
    await session.flush()
    return await control_state.changed(session, org_id, budget_rules.budget_rules)


async def publish(req: ApiRequest, state: ControlSnapshot | None) -> None:
    if state is not None:
        await control_state.publish(req.app_get(app_keys.STATE_BUS), state)


def audited(row: ApprovalRequest) -> dict[str, Any]:
    if row.topup_budget_id is None:
        return {}
    return {
        "topup_budget_id": str(row.topup_budget_id),
        "topup_usd": str(row.topup_usd),
        "topup_seconds": row.topup_seconds,
        "topup_until": None if row.topup_until is None else row.topup_until.isoformat(),
    }
