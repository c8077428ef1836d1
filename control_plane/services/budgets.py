"""Budget rules: what a valid budget is, its current window and spend, and the hard budgets
every proxy enforces (``budget_rules``, the snapshot builder's budget source)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any, cast

from agentops.wire.control import BudgetRule, TopUp
from control_plane.auth.principal import Principal
from control_plane.budgets import Window, percent_of, project_spend, window_at
from control_plane.budgets.periods import Period
from control_plane.errors import (
    BadRequestError,
    ConflictError,
    ValidationFailedError,
    found,
)
from control_plane.schemas.budgets import BudgetCreate, BudgetOut, BudgetUpdate, _ReadOnly
from control_plane.services import targets
from control_plane.store import agents, approvals, orgs, teams
from control_plane.store import budgets as store
from control_plane.store.budgets import Spend
from control_plane.store.errors import IntegrityError
from control_plane.store.tables import Agent, Budget, utcnow
from control_plane.store.types import AsyncSession

AUDITED_FIELDS = (
    "name", "scope", "team_id", "agent_id", "model", "provider", "period", "custom_start",
    "custom_end", "limit_usd", "max_calls", "threshold_alert_percent", "auto_pause_at_percent",
    "hard",
)  # fmt: skip


def reject_read_only(body: _ReadOnly) -> None:
    sent = body.read_only_sent()
    if sent:
        raise BadRequestError(
            f"read-only field: {', '.join(sent)} is derived by the server and may not be sent",
            code="read_only_field",
            details={"fields": sent},
        )


async def create(session: AsyncSession, principal: Principal, body: BudgetCreate) -> Budget:
    reject_read_only(body)
    org_id = principal.org_id
    fields: dict[str, Any] = body.model_dump(
        include={"name", "scope", "model", "provider", "period", "custom_start", "custom_end",
                 "limit_usd", "max_calls", "auto_pause_at_percent"}
    )  # fmt: skip
    fields["hard"] = body.enforcement == "hard"
    fields["threshold_alert_percent"] = _percents(body.threshold_alert_percent)
    fields["team_id"], fields["agent_id"] = await _resolve_target(
        session, org_id, body.scope, body.target
    )
    _check_shape(fields)
    try:
        return await store.create_budget(session, org_id=org_id, **fields)
    except IntegrityError:
        raise _name_taken(body.name) from None


async def update(session: AsyncSession, budget: Budget, body: BudgetUpdate) -> Budget:
    reject_read_only(body)
    changes: dict[str, Any] = body.model_dump(
        exclude_unset=True, exclude={"enforcement", "threshold_alert_percent"}
    )
    if "enforcement" in body.model_fields_set:
        changes["hard"] = body.enforcement == "hard"
    if "threshold_alert_percent" in body.model_fields_set:
        changes["threshold_alert_percent"] = _percents(body.threshold_alert_percent or [])
    for required in ("name", "period", "limit_usd", "hard"):
        if required in changes and changes[required] is None:
            raise _invalid(required, "may not be null")
    merged = {field: getattr(budget, field) for field in AUDITED_FIELDS} | changes
    _check_shape(merged)
    try:
        return await store.update_budget(session, budget, changes)
    except IntegrityError:
        raise _name_taken(str(changes.get("name"))) from None


async def get(session: AsyncSession, org_id: uuid.UUID, budget_id: uuid.UUID) -> Budget:
    return found(await store.get_budget(session, org_id, budget_id), f"no such budget: {budget_id}")


def current_window(budget: Budget, tz: str, now: datetime) -> Window:
    return window_at(
        cast(Period, budget.period),
        tz,
        now,
        custom_start=budget.custom_start,
        custom_end=budget.custom_end,
    )


async def current_spend(session: AsyncSession, budget: Budget, window: Window) -> Spend:
    if budget.scope == "run":
        return await store.latest_run_spend(session, budget)
    return await store.window_spend(session, budget, window.start, window.end)


async def to_out(
    session: AsyncSession, org_id: uuid.UUID, rows: Sequence[Budget], now: datetime | None = None
) -> list[BudgetOut]:
    now = now or utcnow()
    tz = await orgs.get_org_timezone(session, org_id)
    names = await target_names(session, org_id, rows)
    out = []
    for row in rows:
        window = current_window(row, tz, now)
        spend = await current_spend(session, row, window)
        per_run = row.scope == "run"
        out.append(
            BudgetOut(
                id=row.id,
                name=row.name,
                scope=row.scope,  # CHECK constraint
                target=names.get(row.agent_id or row.team_id or uuid.UUID(int=0)),
                model=row.model,
                provider=row.provider,
                period=row.period,  # CHECK constraint
                custom_start=row.custom_start,
                custom_end=row.custom_end,
                limit_usd=row.limit_usd,
                max_calls=row.max_calls,
                threshold_alert_percent=[Decimal(p) for p in row.threshold_alert_percent],
                auto_pause_at_percent=row.auto_pause_at_percent,
                enforcement="hard" if row.hard else "soft",
                current_spend_usd=spend.cost_usd,
                current_calls=spend.calls,
                percent_used=percent_of(row.limit_usd, spend.cost_usd).quantize(Decimal("0.01")),
                period_key="run" if per_run else window.key,
                period_start=None if per_run else window.start,
                period_end=None if per_run else window.end,
                forecast_usd=None
                if per_run
                else project_spend(spend.cost_usd, window.start, window.end, now),
                paused=row.paused_period_key is not None and row.paused_period_key == window.key,
                created_at=row.created_at,
                updated_at=row.updated_at,
            )
        )
    return out


async def budget_rules(
    session: AsyncSession, org_id: uuid.UUID, now: datetime | None = None
) -> list[BudgetRule]:
    """The org's hard budgets as the proxies enforce them, for the window containing ``now``.

    Matches ``control_state.BudgetSource`` (``now`` defaults to the current time). A custom
    budget outside its range is left out: it allows nothing and forbids nothing then.
    """
    now = now or utcnow()
    rows = [row for row in await store.list_all_budgets(session, org_id) if row.hard]
    if not rows:
        return []
    tz = await orgs.get_org_timezone(session, org_id)
    names = await target_names(session, org_id, rows)
    topups = await approvals.list_active_topups(session, org_id, now)
    rules = []
    for row in rows:
        window = current_window(row, tz, now)
        if row.period == "custom" and not window.contains(now):
            continue
        rules.append(
            BudgetRule(
                budget_id=str(row.id),
                name=row.name,
                scope=row.scope,  # CHECK constraint
                target=names.get(row.agent_id or row.team_id or uuid.UUID(int=0)),
                model=row.model,
                provider=row.provider,
                limit_usd=row.limit_usd,
                max_calls=row.max_calls,
                hard=True,
                period_key=window.key,
                period_end=None if row.scope == "run" else window.end,
                topups=[
                    TopUp(amount_usd=t.topup_usd, until=t.topup_until, reference=t.id)
                    for t in topups.get(row.id, [])
                    if t.topup_usd is not None and t.topup_until is not None
                ],
            )
        )
    return rules


async def register_target_agent(
    session: AsyncSession, principal: Principal, body: BudgetCreate
) -> tuple[Agent, dict[str, Any]] | None:
    """A budget for an agent that has not called yet: register the name (so the budget, and
    the agent's first call, have it); returns the agent and its audit fields when registered."""
    if body.scope not in ("agent", "run") or body.target is None:
        return None
    if await agents.get_agent_by_name(session, principal.org_id, body.target) is not None:
        return None
    return await targets.register_agent(session, principal, body.target)


async def _resolve_target(
    session: AsyncSession, org_id: uuid.UUID, scope: str, target: str | None
) -> tuple[uuid.UUID | None, uuid.UUID | None]:
    if scope == "org":
        if target is not None:
            raise _invalid("target", "an org budget covers the whole org; give no target")
        return None, None
    if target is None:
        raise _invalid("target", f"a budget of scope {scope} needs a target")
    if scope == "team":
        team = await teams.get_team_by_name(session, org_id, target)
        if team is None:
            raise _invalid("target", f"no team named {target!r}")
        return team.id, None
    agent = await agents.get_agent_by_name(session, org_id, target)
    if agent is None:
        raise _invalid("target", f"no registered agent named {target!r}")
    return None, agent.id


def _check_shape(fields: dict[str, Any]) -> None:
    custom = fields["period"] == "custom"
    start, end = fields.get("custom_start"), fields.get("custom_end")
    if custom and (start is None or end is None or end <= start):
        raise _invalid("custom_end", "a custom period needs custom_start before custom_end")
    if not custom and (start is not None or end is not None):
        raise _invalid("custom_start", "custom_start and custom_end are for period custom only")
    if fields.get("max_calls") is not None and fields["scope"] != "run":
        raise _invalid("max_calls", "max_calls limits calls per run: scope run only")


def _percents(values: Sequence[Decimal]) -> list[str]:
    # Stored as exact decimal strings, ascending, without duplicates.
    return [format(v.normalize(), "f") for v in sorted(set(values))]


async def target_names(
    session: AsyncSession, org_id: uuid.UUID, rows: Sequence[Budget]
) -> dict[uuid.UUID, str]:
    team_ids = {row.team_id for row in rows if row.team_id is not None}
    agent_ids = {row.agent_id for row in rows if row.agent_id is not None}
    return await teams.get_team_names(session, org_id, team_ids) | await agents.get_agent_names(
        session, org_id, agent_ids
    )


def _invalid(field: str, message: str) -> ValidationFailedError:
    return ValidationFailedError(
        f"body: {field}: {message}",
        details=[{"field": field, "location": "body", "message": message}],
    )


def _name_taken(name: str) -> ConflictError:
    return ConflictError(f"a budget named {name!r} already exists in this org", code="name_taken")
