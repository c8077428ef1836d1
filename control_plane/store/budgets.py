"""Store functions for budgets, their spend (derived from calls) and their alert events.

Spend is a ``SUM`` over the calls table for a window: the calls are the truth, so the figure
shown in the API, the one checked by the ingest hook and the one the Redis counters are rebuilt
from are the same number.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from agentops.ids import uuid7
from control_plane.store.rows import OrgTable, delete_row, list_rows, update_row
from control_plane.store.tables import (
    Budget,
    BudgetAlertEvent,
    Call,
    ExactMoney,
    Run,
    utcnow,
)

BUDGETS = OrgTable(Budget)
create_budget = BUDGETS.create
get_budget = BUDGETS.get
list_budgets = BUDGETS.page
update_budget, delete_budget = update_row, delete_row


@dataclass(frozen=True)
class Spend:
    cost_usd: Decimal
    calls: int


async def list_all_budgets(session: AsyncSession, org_id: uuid.UUID) -> Sequence[Budget]:
    return await list_rows(session, Budget, Budget.org_id == org_id, order_by=[Budget.id])


async def window_spend(
    session: AsyncSession, budget: Budget, start: datetime, end: datetime
) -> Spend:
    """Cost and number of calls covered by ``budget`` that started in ``[start, end)``."""
    stmt = select(func.sum(Call.cost_usd, type_=ExactMoney()), func.count()).where(
        Call.org_id == budget.org_id, Call.started_at >= start, Call.started_at < end
    )
    if budget.team_id is not None:
        stmt = stmt.where(Call.team_id == budget.team_id)
    if budget.agent_id is not None:
        stmt = stmt.where(Call.agent_id == budget.agent_id)
    if budget.model is not None:
        stmt = stmt.where(Call.model == budget.model)
    if budget.provider is not None:
        stmt = stmt.where(Call.provider == budget.provider)
    cost, calls = (await session.execute(stmt)).one()
    return Spend(cost if cost is not None else Decimal(0), int(calls))


async def latest_run_spend(session: AsyncSession, budget: Budget) -> Spend:
    """A run budget applies to each run: show the agent's most recent run."""
    stmt = (
        select(Run.cost_usd, Run.calls)
        .where(Run.org_id == budget.org_id, Run.agent_id == budget.agent_id)
        .order_by(Run.last_at.desc())
        .limit(1)
    )
    row = (await session.execute(stmt)).one_or_none()
    return Spend(Decimal(0), 0) if row is None else Spend(row[0], int(row[1]))


async def record_alert_event(
    session: AsyncSession,
    budget: Budget,
    *,
    period_key: str,
    kind: str,
    threshold: Decimal,
    spend_usd: Decimal,
) -> BudgetAlertEvent | None:
    """Insert the event unless this (budget, period, kind, threshold) already has one; return
    the new row, or None when it existed (another ingest got there first)."""
    values = {
        "id": uuid7(),
        "org_id": budget.org_id,
        "budget_id": budget.id,
        "period_key": period_key,
        "kind": kind,
        "threshold": threshold,
        "spend_usd": spend_usd,
        "limit_usd": budget.limit_usd,
        "created_at": utcnow(),
    }
    insert = (
        postgresql.insert(BudgetAlertEvent)
        if _is_postgres(session)
        else sqlite.insert(BudgetAlertEvent)
    ).values(**values)
    insert = insert.on_conflict_do_nothing(
        index_elements=["budget_id", "period_key", "kind", "threshold"]
    )
    result = await session.execute(insert)
    if result.rowcount == 0:  # type: ignore[attr-defined]
        return None
    return await session.get(BudgetAlertEvent, values["id"])


async def list_alert_events(
    session: AsyncSession, org_id: uuid.UUID, budget_id: uuid.UUID
) -> Sequence[BudgetAlertEvent]:
    match = (BudgetAlertEvent.org_id == org_id, BudgetAlertEvent.budget_id == budget_id)
    order = (BudgetAlertEvent.created_at, BudgetAlertEvent.id)
    return await list_rows(session, BudgetAlertEvent, *match, order_by=order)


async def org_ids_with_budgets(session: AsyncSession) -> list[uuid.UUID]:
    """Cross-org (worker): through a SECURITY DEFINER lookup on PostgreSQL, where row-level
    security would otherwise hide every org's rows from a session without an org."""
    if _is_postgres(session):
        stmt = select(func.agentops_orgs_with_budgets())
    else:
        stmt = select(Budget.org_id).distinct()
    return [row[0] for row in await session.execute(stmt)]


def _is_postgres(session: AsyncSession) -> bool:
    return session.get_bind().dialect.name == "postgresql"
