"""Threshold alerts of run-scope budgets: like the other scopes, but each run is its own period.

A run budget limits every run of its target separately, so its alert fires once per run and
threshold (the alert event's period key is ``run:<run id>``), measured on the run's cost as
the ingest transaction has just updated it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from control_plane.budgets import reached_thresholds
from control_plane.ingest.derived import StoredCall
from control_plane.services import alerts
from control_plane.store import budgets as store
from control_plane.store import runs as runs_store
from control_plane.store.tables import Budget
from control_plane.store.types import AsyncSession


async def check_run_budgets(
    session: AsyncSession, budgets: Sequence[Budget], calls: Sequence[StoredCall]
) -> None:
    for budget in budgets:
        if budget.scope != "run" or not budget.threshold_alert_percent:
            continue
        runs = {call.run_pk: call.record.run_id for call in calls if _covers(budget, call)}
        for run_pk, run_id in sorted(runs.items()):
            cost = await runs_store.get_run_cost(session, run_pk)
            if cost is not None:
                await _check(session, budget, run_id, cost)


async def _check(session: AsyncSession, budget: Budget, run_id: str, cost: Decimal) -> None:
    thresholds = [Decimal(p) for p in budget.threshold_alert_percent]
    for level in reached_thresholds(budget.limit_usd, cost, thresholds):
        event = await store.record_alert_event(
            session, budget, period_key=period_key(run_id), kind="threshold", threshold=level,
            spend_usd=cost,
        )  # fmt: skip
        if event is not None:
            payload = _payload(budget, run_id, level, cost)
            await alerts.enqueue(
                session, budget.org_id, "budget.threshold", payload, event_id=event.id
            )


def period_key(run_id: str) -> str:
    """``run:<run id>``; a run id too long for the column is replaced by its hash."""
    key = f"run:{run_id}"
    return key if len(key) <= 80 else f"run:sha256:{hashlib.sha256(run_id.encode()).hexdigest()}"


def _covers(budget: Budget, call: StoredCall) -> bool:
    if budget.agent_id is not None and call.agent_id != budget.agent_id:
        return False
    if budget.team_id is not None and call.team_id != budget.team_id:
        return False
    record = call.record
    model = record.model_served or record.model_requested or ""
    if budget.model is not None and budget.model != model:
        return False
    return budget.provider is None or budget.provider == record.provider


def alerted_budget(budget: Budget) -> dict[str, Any]:
    """The budget as an alert names it (run and period threshold alerts alike)."""
    return {
        "id": str(budget.id),
        "name": budget.name,
        "scope": budget.scope,
        "limit_usd": str(budget.limit_usd),
        "enforcement": "hard" if budget.hard else "soft",
    }


def _payload(budget: Budget, run_id: str, level: Decimal, spend: Decimal) -> dict[str, Any]:
    return {
        "budget": alerted_budget(budget),
        "org_id": str(budget.org_id),
        "period_key": period_key(run_id),
        "run_id": run_id,
        "threshold_percent": format(level.normalize(), "f"),
        "spend_usd": str(spend),
    }
