"""Spend counters rebuilt from the store, the truth, so a hard budget holds in every mode.

The counters the proxies reserve against (Redis, or memory in ``agentops up``) are a cache of
what PostgreSQL/SQLite already stores. They are rebuilt:

- at start-up, before the embedded proxy takes a call (in-memory counters start empty, so
  without it every restart of ``agentops up`` reset every hard budget);
- within one worker tick when the counters were lost (Redis restarted empty: the ``rebuilt``
  marker is gone with them): the ``rebuild_lost_spend_counters`` job;
- every ``RECONCILE_SECONDS`` otherwise, to remove drift (a crashed proxy's settlement): the
  ``reconcile_spend_counters`` job (``control_plane.jobs.budgets``);
- for one budget as soon as it is created or changed, so a budget created mid-period counts
  the spend already stored in that period.

Live holds are kept by every rebuild. Run budgets are per run and rebuilt from the run's calls.
"""

from __future__ import annotations

import logging
import uuid
from datetime import datetime

from agentops.statebus import CounterUnavailable, SpendCounters
from control_plane.services import budgets as rules
from control_plane.store import budgets as store
from control_plane.store import orgs
from control_plane.store.engine import Database
from control_plane.store.tables import Budget, utcnow
from control_plane.store.types import AsyncSession

log = logging.getLogger(__name__)

RECONCILE_SECONDS = 60.0


async def rebuild_budget(
    session: AsyncSession, budget: Budget, counters: SpendCounters, tz: str, now: datetime
) -> bool:
    """Set one hard budget's settled counter to the store's spend in its current window."""
    if not budget.hard or budget.scope == "run":
        return False  # soft budgets have no counter; a run budget's counter is per run
    window = rules.current_window(budget, tz, now)
    spend = await store.window_spend(session, budget, window.start, window.end)
    await counters.rebuild(str(budget.id), window.key, spend.cost_usd, spend.calls)
    return True


async def reconcile_org(
    session: AsyncSession, org_id: uuid.UUID, counters: SpendCounters, now: datetime
) -> int:
    """Rebuild every hard budget of the org; returns how many counters were set."""
    hard = [b for b in await store.list_all_budgets(session, org_id) if b.hard]
    if not hard:
        return 0
    tz = await orgs.get_org_timezone(session, org_id)
    return sum([await rebuild_budget(session, b, counters, tz, now) for b in hard])


async def rebuild_all(database: Database, counters: SpendCounters) -> int:
    """Every org's hard budgets, then the marker that says the counters hold the store's
    figures. Raises ``CounterUnavailable`` when the counters cannot be reached."""
    now = utcnow()
    async with database.transaction() as session:
        org_ids = await store.org_ids_with_budgets(session)
    rebuilt = 0
    for org_id in org_ids:
        async with database.transaction(org_id) as session:
            rebuilt += await reconcile_org(session, org_id, counters, now)
    await counters.mark_rebuilt()
    return rebuilt


async def rebuild_after_change(
    database: Database, counters: SpendCounters, org_id: uuid.UUID, budget_id: uuid.UUID
) -> None:
    """After a budget is created or changed (committed): its counter from the stored spend.
    A failure is logged; the next reconciliation sets it."""
    try:
        async with database.transaction(org_id) as session:
            budget = await store.get_budget(session, org_id, budget_id)
            if budget is not None:
                tz = await orgs.get_org_timezone(session, org_id)
                await rebuild_budget(session, budget, counters, tz, utcnow())
    except CounterUnavailable:
        log.warning("spend counters unreachable; the budget's counter is set at the next rebuild")
