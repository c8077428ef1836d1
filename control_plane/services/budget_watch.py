"""Budget consequences of spend: threshold alerts and auto-pause (in the ingest transaction),
and the worker jobs that resume paused scopes at the period's end and rebuild the proxies'
spend counters from the store's truth (``spend_rebuild``).

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
from collections.abc import AsyncIterator, Sequence
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Literal

from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncSession

from agentops.statebus import MemorySpendCounters, RedisSpendCounters, SpendCounters
from control_plane import app_keys
from control_plane.alerts.send import SendConfig
from control_plane.auth.principal import Principal
from control_plane.budgets import Window, reached_thresholds
from control_plane.budgets.thresholds import is_reached
from control_plane.errors import NotFoundError
from control_plane.jobs.scheduler import Job
from control_plane.schemas.emergency import EmergencyRequest, ResumeRequest
from control_plane.services import alerts, emergency, run_alerts, spend_rebuild
from control_plane.services import budgets as rules
from control_plane.services.emergency import Outcome
from control_plane.store import budgets as store
from control_plane.store import orgs
from control_plane.store.audit import create_audit_log
from control_plane.store.tables import Budget, utcnow

if TYPE_CHECKING:  # derived.py imports this module to register the hook
    from control_plane.ingest.derived import StoredCall

log = logging.getLogger(__name__)

COUNTER_TIMEOUT_SECONDS = 2.0


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


async def _audit(session: AsyncSession, budget: Budget, outcome: Outcome) -> None:
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
        "budget": {
            "id": str(budget.id),
            "name": budget.name,
            "scope": budget.scope,
            "limit_usd": str(budget.limit_usd),
            "enforcement": "hard" if budget.hard else "soft",
        },
        "org_id": str(budget.org_id),
        "period_key": window.key,
        "period_start": window.start.isoformat(),
        "period_end": window.end.isoformat(),
        "threshold_percent": format(level.normalize(), "f"),
        "spend_usd": str(spend),
    }


# Worker jobs -------------------------------------------------------------------------------


async def resume_paused_budgets(app: web.Application) -> None:
    database, now = app[app_keys.DATABASE], utcnow()
    async with database.transaction() as session:
        org_ids = await store.org_ids_with_budgets(session)
    for org_id in org_ids:
        async with database.transaction(org_id) as session:
            resumed = await resume_ended(session, org_id, now)
        if resumed:
            log.info("budget pauses lifted", extra={"org_id": str(org_id), "budgets": resumed})


async def deliver_alerts(app: web.Application) -> None:
    cp = app[app_keys.SETTINGS].control_plane
    config = SendConfig(
        cp.smtp_host,
        cp.smtp_port,
        cp.smtp_from,
        cp.webhook_timeout_seconds,
        destinations=alerts.destination_policy(cp),
        smtp_security=cp.smtp_security,
        smtp_username=cp.smtp_username,
        smtp_password=cp.smtp_password.get_secret_value() if cp.smtp_password else None,
        smtp_ca_file=str(cp.smtp_ca_file) if cp.smtp_ca_file else None,
    )
    await alerts.deliver_due(app[app_keys.DATABASE], config, utcnow(), app[app_keys.SECRET_BOX])


async def budget_jobs_context(app: web.Application) -> AsyncIterator[None]:
    """cleanup_ctx entry (after the worker): the spend counters (rebuilt from the store before
    anything reserves against them), then the alert, pause and counter-rebuild jobs, for as
    long as the app runs. Each delivery opens its own connection, pinned to the addresses the
    SSRF guard checked (``control_plane.alerts.send``)."""
    client, cp = app[app_keys.REDIS], app[app_keys.SETTINGS].control_plane
    counters: SpendCounters = (
        MemorySpendCounters()
        if client is None
        else RedisSpendCounters(client, cp.redis_prefix, timeout_seconds=COUNTER_TIMEOUT_SECONDS)
    )
    app[app_keys.SPEND_COUNTERS] = counters
    try:
        await spend_rebuild.rebuild_all(app)
    except Exception:
        log.exception("spend counter rebuild at startup failed; the worker retries")
    jobs: list[Job] = [deliver_alerts, resume_paused_budgets, spend_rebuild.CounterRebuild()]
    worker = app[app_keys.WORKER]
    worker.jobs.extend(jobs)
    try:
        yield
    finally:
        for job in jobs:
            worker.jobs.remove(job)
