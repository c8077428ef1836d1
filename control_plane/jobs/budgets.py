"""Budget jobs: alert deliveries, pauses lifted when their period ends, and the proxies' spend
counters rebuilt from the store (``control_plane.services.spend_rebuild`` has the why)."""

from __future__ import annotations

import logging

from agentops.statebus import CounterUnavailable
from control_plane.alerts.send import SendConfig
from control_plane.jobs.context import JobContext
from control_plane.services import alerts, budget_watch, spend_rebuild
from control_plane.store import budgets as store
from control_plane.store.tables import utcnow

log = logging.getLogger(__name__)


async def resume_paused_budgets(ctx: JobContext) -> None:
    now = utcnow()
    async with ctx.database.transaction() as session:
        org_ids = await store.org_ids_with_budgets(session)
    for org_id in org_ids:
        async with ctx.database.transaction(org_id) as session:
            resumed = await budget_watch.resume_ended(session, org_id, now)
        if resumed:
            log.info("budget pauses lifted", extra={"org_id": str(org_id), "budgets": resumed})


async def deliver_alerts(ctx: JobContext) -> None:
    """Each delivery opens its own connection, pinned to the addresses the SSRF guard checked
    (``control_plane.alerts.send``)."""
    cp = ctx.settings.control_plane
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
    await alerts.deliver_due(ctx.database, config, utcnow(), ctx.secret_box)


async def rebuild_lost_spend_counters(ctx: JobContext) -> None:
    """Every tick, one cheap round trip: counters lost (Redis restarted empty) are rebuilt."""
    try:
        if await ctx.counters.rebuilt():
            return
        count = await spend_rebuild.rebuild_all(ctx.database, ctx.counters)
    except CounterUnavailable:
        log.warning("spend counters unreachable; rebuilt at the next tick")
        return
    log.info("spend counters rebuilt from the store", extra={"budgets": count})


async def reconcile_spend_counters(ctx: JobContext) -> None:
    """Every ``spend_rebuild.RECONCILE_SECONDS``: drift removed (a crashed proxy's settlement)."""
    try:
        await spend_rebuild.rebuild_all(ctx.database, ctx.counters)
    except CounterUnavailable:
        log.warning("spend counters unreachable; reconciled at the next run")
