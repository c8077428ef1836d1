"""Which budgets a call counts against, its worst case, and how a budget refusal reads (pure).

Counters are keyed by budget id and period key; a run budget gets one counter per run, so its
cost limit and its call limit hold for each run separately.
"""

from __future__ import annotations

import math
from datetime import datetime
from decimal import Decimal
from typing import Literal

from agentops.wire.control import BudgetRule, ControlSnapshot
from pricing import estimate_worst_case_cost
from pricing import max_output_tokens as model_output_cap
from proxy.decision.types import Call, Decision, refuse


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


def worst_case(call: Call, model: str | None) -> Decimal | None:
    """Every allowed output token of every choice, at the dearest output rate; None when the
    model is unpriced, its output cap unknown, or the prompt was not read."""
    tokens = call.estimated_input_tokens if model is not None else None
    if tokens is None or model is None:
        return None
    output = call.max_output_tokens or model_output_cap(model, provider=call.provider)
    if output is None:
        return None
    return estimate_worst_case_cost(model, tokens, output * call.choices, provider=call.provider)


def held_output_cap(call: Call, model: str | None) -> int | None:
    """The model's output cap when the worst case holds all of it (the call set no
    ``max_tokens``), for the refusal to say why its hold is so large; else None."""
    if call.max_output_tokens is not None or model is None:
        return None
    return model_output_cap(model, provider=call.provider)


def cannot_estimate(rule: BudgetRule, model: str | None) -> Decision:
    """A hard budget cannot be checked without a worst case (unpriced model, unknown output cap,
    unread prompt): refused, as letting spend of unknown size through would not be a limit."""
    return refuse(
        403,
        "budget_unpriced_model",
        (
            f"Budget {rule.name!r} is enforced strictly, and the worst-case cost of this call "
            f"to model {model or 'unknown'!r} cannot be estimated (no price, no output cap or "
            f"an unreadable request): set max_tokens, or ask an admin to add a price for the "
            f"model (reference {rule.budget_id})."
        ),
        kind="budget",
        reference=rule.budget_id,
    )


def budget_refusal(
    rule: BudgetRule,
    reason: Literal["cost", "calls"] | str,
    remaining: Decimal,
    *,
    now: datetime,
    spent: Decimal | None = None,
    held: Decimal = Decimal(0),
    hold: Decimal | None = None,
    output_cap_held: int | None = None,
) -> Decision:
    """The refusal when the counters say a budget has no room (``reason``: what ran out), in
    the figures ``budgets list`` shows: spend settled so far (the store's, which the counters
    are rebuilt from; derived from ``remaining`` when not given), its percentage of the limit,
    what calls in flight hold (``held``), what is left; then what this call would have held
    (``hold``), and why, when it is the worst case of a call without ``max_tokens``
    (``output_cap_held``: the model's output cap that was held)."""
    if reason == "calls":
        code = "run_call_limit_exceeded"
        detail = f"the run has used its {rule.max_calls} calls"
    else:
        code = "budget_exceeded"
        limit = rule.limit_at(now)
        used = limit - remaining - held if spent is None else spent
        detail = _spend_detail(limit, used, held, remaining, hold, output_cap_held)
        if limit != rule.limit_usd:
            detail += f" (${_money(limit - rule.limit_usd)} of it a temporary top-up)"
        else:
            detail += (
                f"; an approver can grant a temporary top-up: agentops budgets topup "
                f"{rule.budget_id} --amount USD --hours H --reason ..."
            )
    retry = None
    if rule.period_end is not None:
        retry = max(1, math.ceil((rule.period_end - now).total_seconds()))
    return refuse(
        429,
        code,
        f"Budget {rule.name!r} refused this call: {detail} (reference {rule.budget_id}).",
        kind="budget",
        reference=rule.budget_id,
        retry_after_seconds=retry,
    )


def _spend_detail(
    limit: Decimal,
    spent: Decimal,
    held: Decimal,
    remaining: Decimal,
    hold: Decimal | None,
    output_cap_held: int | None,
) -> str:
    percent = f" ({spent / limit:.0%})" if limit > 0 else ""
    detail = f"${_money(spent)} used of ${_money(limit)}{percent}"
    if held > 0:
        detail += f", ${_money(held)} held by calls in flight"
    detail += f", ${_money(max(remaining, Decimal(0)))} left"
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
    return refuse(
        503,
        "budget_state_unavailable",
        (
            f"Budget {rule.name!r} cannot be checked right now (spend counters unreachable), "
            f"and it is enforced strictly (reference {rule.budget_id}); retry shortly."
        ),
        kind="budget",
        reference=rule.budget_id,
        retry_after_seconds=1,
    )
