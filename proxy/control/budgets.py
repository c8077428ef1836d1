"""Which budgets a call counts against, and how a budget refusal reads (pure).

Counters are keyed by budget id and period key; a run budget gets one counter per run, so its
cost limit and its call limit hold for each run separately.
"""

from __future__ import annotations

import math
from datetime import datetime
from decimal import Decimal

from agentops.statebus import Reservation
from agentops.wire.control import BudgetRule, ControlSnapshot
from proxy.control.decide import Decision


def matching_budgets(
    state: ControlSnapshot | None,
    *,
    agent: str,
    team: str | None,
    provider: str | None,
    model: str | None,
) -> list[BudgetRule]:
    """Hard budgets whose scope and filters cover this call (soft budgets only alert, which
    the control plane does from ingested records)."""
    if state is None:
        return []
    return [b for b in state.budgets if b.hard and _covers(b, agent, team, provider, model)]


def _covers(
    rule: BudgetRule, agent: str, team: str | None, provider: str | None, model: str | None
) -> bool:
    if rule.provider is not None and rule.provider != provider:
        return False
    if rule.model is not None and rule.model != model:
        return False
    if rule.scope == "org":
        return True
    if rule.scope == "team":
        return team is not None and rule.target == team
    if rule.scope == "agent":
        return rule.target == agent
    return rule.target is None or rule.target in (agent, team)  # run: every run in its target


def counter_period(rule: BudgetRule, run_id: str | None) -> str:
    """Period key of the counter a call uses: the run's own for run budgets."""
    if rule.scope == "run":
        return f"{rule.period_key}:run:{run_id or 'none'}"
    return rule.period_key


def budget_refusal(
    rule: BudgetRule,
    result: Reservation,
    *,
    now: datetime,
    hold: Decimal | None = None,
    output_cap_held: int | None = None,
) -> Decision:
    """The refusal, in the figures ``budgets list`` shows: spend settled so far (the store's,
    which the counters are rebuilt from), its percentage of the limit, what calls in flight
    hold, what is left; then what this call would have held, and why, when it is the worst
    case of a call without ``max_tokens``."""
    if result.reason == "calls":
        code = "run_call_limit_exceeded"
        detail = f"the run has used its {rule.max_calls} calls"
    else:
        code = "budget_exceeded"
        detail = _spend_detail(rule, result, hold, output_cap_held)
    retry = None
    if rule.period_end is not None:
        retry = max(1, math.ceil((rule.period_end - now).total_seconds()))
    return Decision(
        allowed=False,
        status=429,
        code=code,
        message=f"Budget {rule.name!r} refused this call: {detail} (reference {rule.budget_id}).",
        reference=rule.budget_id,
        retry_after_seconds=retry,
    )


def _spend_detail(
    rule: BudgetRule, result: Reservation, hold: Decimal | None, output_cap_held: int | None
) -> str:
    usage, limit = result.usage, rule.limit_usd
    percent = f" ({usage.spent / limit:.0%})" if limit > 0 else ""
    remaining = max(result.remaining, Decimal(0))
    detail = f"${_money(usage.spent)} used of ${_money(limit)}{percent}"
    if usage.held > 0:
        detail += f", ${_money(usage.held)} held by calls in flight"
    detail += f", ${_money(remaining)} left"
    if hold is not None:
        detail += f"; this call would hold up to ${_money(hold)}"
        if output_cap_held is not None:
            detail += (
                f", because it sets no max_tokens and so the model's whole output cap "
                f"({output_cap_held} tokens) is held: set max_tokens to what the call needs"
            )
    return detail


def _money(amount: Decimal) -> str:
    """At least cents, and every digit a sub-cent figure needs (no float rounding)."""
    text = format(amount.normalize(), "f")
    whole, _, frac = text.partition(".")
    return f"{whole}.{frac.ljust(2, '0')}"


def budget_unavailable(rule: BudgetRule) -> Decision:
    """Fail-closed refusal when the shared counters cannot be reached."""
    return Decision(
        allowed=False,
        status=503,
        code="budget_state_unavailable",
        message=(
            f"Budget {rule.name!r} cannot be checked right now (spend counters unreachable), "
            f"and it is enforced strictly (reference {rule.budget_id}); retry shortly."
        ),
        reference=rule.budget_id,
        retry_after_seconds=1,
    )
