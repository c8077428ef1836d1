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
) -> Decision:
    """The refusal when the counters say a budget has no room (``reason``: what ran out)."""
    if reason == "calls":
        code = "run_call_limit_exceeded"
        detail = f"the run has used its {rule.max_calls} calls"
    else:
        code = "budget_exceeded"
        detail = f"limit ${rule.limit_usd}, ${max(remaining, Decimal(0))} remaining"
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
