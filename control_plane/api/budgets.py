"""/budgets: create, list (with derived spend, window and forecast), show, update, delete.

A change to a hard budget (or to whether a budget is hard) changes what proxies enforce: the
handler bumps the org's control-state version in the same transaction and publishes the
snapshot after the commit (the worker's republish job covers a publish that fails).
"""

from __future__ import annotations

from agentops.wire.control import ControlSnapshot
from control_plane import app_keys
from control_plane.endpoint import ApiRequest
from control_plane.schemas.budgets import (
    BudgetCreate,
    BudgetOut,
    BudgetPage,
    BudgetUpdate,
)
from control_plane.services import budgets as rules
from control_plane.services import control_state, spend_rebuild
from control_plane.services.audit import snapshot
from control_plane.store import budgets
from control_plane.store.tables import Budget
from control_plane.store.types import AsyncSession

FIELDS = rules.AUDITED_FIELDS


async def create_budget(req: ApiRequest) -> BudgetOut:
    body = req.body_as(BudgetCreate)
    async with req.transaction() as session:
        registered = await rules.register_target_agent(session, req.principal, body)
        if registered is not None:
            agent, fields = registered
            await req.audit(session, "agent.create", "agent", agent.id, after=fields)
        budget = await rules.create(session, req.principal, body)
        await req.audit(
            session, "budget.create", "budget", budget.id, after=snapshot(budget, FIELDS)
        )
        # A registered name is part of the snapshot (the registry) as a hard budget is.
        state = await _changed(session, req, budget.hard or registered is not None)
        out = await _out(session, req, budget)
    await _enforce(req, budget, state)
    return out


async def list_budgets(req: ApiRequest) -> BudgetPage:
    async with req.transaction() as session:
        page = await req.page_of(session, budgets.list_budgets)
        items = await rules.to_out(session, req.principal.org_id, page.items)
    return BudgetPage(items=items, next_cursor=page.next_cursor)


async def get_budget(req: ApiRequest) -> BudgetOut:
    async with req.transaction() as session:
        budget = await rules.get(session, req.principal.org_id, req.path_id("budget_id"))
        return await _out(session, req, budget)


async def update_budget(req: ApiRequest) -> BudgetOut:
    async with req.transaction() as session:
        budget = await rules.get(session, req.principal.org_id, req.path_id("budget_id"))
        before = snapshot(budget, FIELDS)
        was_hard = budget.hard
        await rules.update(session, budget, req.body_as(BudgetUpdate))
        after = snapshot(budget, FIELDS)
        await req.audit(session, "budget.update", "budget", budget.id, before=before, after=after)
        state = await _changed(session, req, was_hard or budget.hard)
        out = await _out(session, req, budget)
    await _enforce(req, budget, state)
    return out


async def delete_budget(req: ApiRequest) -> None:
    async with req.transaction() as session:
        budget = await rules.get(session, req.principal.org_id, req.path_id("budget_id"))
        before = snapshot(budget, FIELDS)
        hard = budget.hard
        await budgets.delete_budget(session, budget)
        await req.audit(session, "budget.delete", "budget", budget.id, before=before)
        state = await _changed(session, req, hard)
    await _publish(req, state)


async def _changed(
    session: AsyncSession, req: ApiRequest, enforced: bool
) -> ControlSnapshot | None:
    if not enforced:
        return None
    return await control_state.changed(session, req.principal.org_id, rules.budget_rules)


async def _out(session: AsyncSession, req: ApiRequest, budget: Budget) -> BudgetOut:
    return (await rules.to_out(session, req.principal.org_id, [budget]))[0]


async def _enforce(req: ApiRequest, budget: Budget, state: ControlSnapshot | None) -> None:
    """After the commit: rebuild a hard budget's spend counter, then publish the snapshot."""
    # Before the snapshot that enforces it is published: the counter already holds the spend
    # stored in the current period, so a budget created mid-period is not a fresh allowance.
    if budget.hard:
        await spend_rebuild.rebuild_after_change(
            req.app_get(app_keys.DATABASE),
            req.app_get(app_keys.SPEND_COUNTERS),
            req.principal.org_id,
            budget.id,
        )
    await _publish(req, state)


async def _publish(req: ApiRequest, state: ControlSnapshot | None) -> None:
    if state is not None:
        await control_state.publish(req.app_get(app_keys.STATE_BUS), state)
