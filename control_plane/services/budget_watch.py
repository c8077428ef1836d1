"""Budget consequences of spend: threshold alerts and auto-pause (in the ingest transaction),
and lifting a pause once its period has ended (``resume_ended``, run by the
``resume_paused_budgets`` job in ``control_plane.jobs.budgets``).

``on_stored_calls`` is registered as ingest derived work: it runs in the transaction that
stores the calls, so an alert event, its deliveries and an auto-pause commit with their cause
or not at all. The unique (budget, period, kind, threshold) constraint makes each fire once
per period even when two batches cross the same threshold concurrently.

Auto-pause acts through the emergency service as a *system* actor named after the budget; its
snapshot reaches the proxies through the worker's republish job (the ingest handler has no bus
to publish on), so the pause lands within one worker tick of the commit.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any, Literal

from control_plane.auth.principal import Principal
from control_plane.budgets import Window, reached_thresholds
from control_plane.budgets.thresholds import is_reached
from control_plane.errors import NotFoundError
from control_plane.ingest.derived import StoredCall
from control_plane.schemas.emergency import EmergencyRequest, ResumeRequest
from control_plane.services import alerts, emergency, run_alerts
from control_plane.services import budgets as rules
from control_plane.services.emergency import AppliedChanges
from control_plane.store import budgets as store
from control_plane.store import orgs
from control_plane.store.audit import create_audit_log
from control_plane.store.tables import Budget, utcnow
from control_plane.store.types import AsyncSession

log = logging.getLogger(__name__)


async def on_stored_calls(session: AsyncSession, stored: Sequence[StoredCall]) -> None:
    """Derived work: check the budgets the newly stored calls count against."""
    now = utcnow()
    by_org: dict[uuid.UUID, list[StoredCall]] = {}
    for call in stored:
        if call.final:
            by_org.setdefault(call.org_id, []).append(call)
    for org_id, calls in by_org.items():
        await check_org(session, org_id, calls, now)


async def check_org(
    session: AsyncSession, org_id: uuid.UUID, calls: Sequence[StoredCall], now: datetime
) -> None:
    alerting = [
        b
        for b in await store.list_all_budgets(session, org_id)
        if b.threshold_alert_percent or b.auto_pause_at_percent
    ]
    await run_alerts.check_run_budgets(session, alerting, calls)
    budgets = [b for b in alerting if b.scope != "run"]
    if not budgets:
        return
    tz = await orgs.get_org_timezone(session, org_id)
    for budget in budgets:
        window = rules.current_window(budget, tz, now)
        if any(_covers(budget, call, window) for call in calls):
            await check_budget(session, budget, window)


async def check_budget(session: AsyncSession, budget: Budget, window: Window) -> None:
    spend = await store.window_spend(session, budget, window.start, window.end)
    thresholds = [Decimal(p) for p in budget.threshold_alert_percent]
    for level in reached_thresholds(budget.limit_usd, spend.cost_usd, thresholds):
        event = await store.record_alert_event(
            session, budget, period_key=window.key, kind="threshold", threshold=level,
            spend_usd=spend.cost_usd,
        )  # fmt: skip
        if event is not None:
            payload = _payload(budget, window, level, spend.cost_usd)
            await alerts.enqueue(
                session, budget.org_id, "budget.threshold", payload, event_id=event.id
            )
    pause_at = budget.auto_pause_at_percent
    if pause_at is not None and is_reached(budget.limit_usd, spend.cost_usd, pause_at):
        event = await store.record_alert_event(
            session, budget, period_key=window.key, kind="auto_pause", threshold=pause_at,
            spend_usd=spend.cost_usd,
        )  # fmt: skip
        if event is not None:
            await _pause(session, budget, window)
            payload = _payload(budget, window, pause_at, spend.cost_usd)
            await alerts.enqueue(
                session, budget.org_id, "budget.auto_paused", payload, event_id=event.id
            )


async def _pause(session: AsyncSession, budget: Budget, window: Window) -> None:
    scope, target = await _scope(session, budget)
    body = EmergencyRequest(scope=scope, target=target, reason=f"budget {budget.name} reached")
    outcome = await emergency.apply(session, _system(budget), "pause", body, rules.budget_rules)
    await _audit(session, budget, outcome)
    budget.paused_period_key = window.key
    await session.flush()


async def resume_ended(session: AsyncSession, org_id: uuid.UUID, now: datetime) -> list[str]:
    """Resume what budgets paused in a period that has ended; returns the budget names."""
    paused = [b for b in await store.list_all_budgets(session, org_id) if b.paused_period_key]
    if not paused:
        return []
    tz = await orgs.get_org_timezone(session, org_id)
    resumed = []
    for budget in paused:
        window = rules.current_window(budget, tz, now)
        if window.key == budget.paused_period_key and window.contains(now):
            continue
        scope, target = await _scope(session, budget)
        body = ResumeRequest(scope=scope, target=target, reason=f"budget {budget.name}: new period")
        try:
            outcome = await emergency.resume(session, _system(budget), body, rules.budget_rules)
            await _audit(session, budget, outcome)
        except NotFoundError:
            pass  # an admin resumed it already; nothing left to lift
        budget.paused_period_key = None
        resumed.append(budget.name)
    await session.flush()
    return resumed


def _covers(budget: Budget, call: StoredCall, window: Window) -> bool:
    record = call.record
    if not window.contains(record.started_at):
        return False
    if budget.team_id is not None and call.team_id != budget.team_id:
        return False
    if budget.agent_id is not None and call.agent_id != budget.agent_id:
        return False
    model = record.model_served or record.model_requested or ""
    if budget.model is not None and budget.model != model:
        return False
    return budget.provider is None or budget.provider == record.provider


async def _scope(
    session: AsyncSession, budget: Budget
) -> tuple[Literal["org", "team", "agent"], str | None]:
    names = await rules.target_names(session, budget.org_id, [budget])
    if budget.agent_id is not None:
        return "agent", names[budget.agent_id]
    if budget.team_id is not None:
        return "team", names[budget.team_id]
    return "org", None


def _system(budget: Budget) -> Principal:
    # The emergency service records who acted; here it is the budget itself.
    return Principal(
        kind="api_key",
        org_id=budget.org_id,
        api_key_id=budget.id,
        api_key_name=f"budget {budget.name}",
        scopes=frozenset({"admin"}),
    )


async def _audit(session: AsyncSession, budget: Budget, outcome: AppliedChanges) -> None:
    for entry in outcome.changes.audit:
        await create_audit_log(
            session,
            org_id=budget.org_id,
            actor_type="system",
            actor_id=str(budget.id),
            actor_label=f"budget {budget.name}",
            action=entry.action,
            entity_type=entry.entity_type,
            entity_id=str(entry.entity_id),
            before=entry.before,
            after=entry.after,
            request_id=None,
        )


def _payload(budget: Budget, window: Window, level: Decimal, spend: Decimal) -> dict[str, Any]:
    return {
        "budget": run_alerts.alerted_budget(budget),
        "org_id": str(budget.org_id),
        "period_key": window.key,
        "period_start": window.start.isoformat(),
        "period_end": window.end.isoformat(),
        "threshold_percent": format(level.normalize(), "f"),
        "spend_usd": str(spend),
    }
