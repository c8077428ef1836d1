"""What a held call becomes once the approval desk answers: approved (the call goes on, through
the budget holds it would have had), denied (403 naming who and why), or timed out (403)."""

from __future__ import annotations

import dataclasses

from agentops.wire.approvals import ApprovalVerdict
from agentops.wire.control import ControlSnapshot
from proxy.decision import Call, Decision
from proxy.decision.budgets import worst_case
from proxy.decision.decide import budget_decision
from proxy.decision.kills import profile


def estimated(decision: Decision, call: Call) -> Decision:
    """The hold with the call's worst-case cost, for the approver (None when unpriced)."""
    return dataclasses.replace(
        decision, worst_case_usd=worst_case(call, decision.route_to or call.model)
    )


def approved(
    state: ControlSnapshot | None, call: Call, held: Decision, *, count_budgets: bool
) -> Decision:
    shaped = dataclasses.replace(
        held, action="allow", status=200, code="allowed", message="", hold_seconds=None,
        worst_case_usd=None,
    )  # fmt: skip
    if not count_budgets:
        return shaped
    return budget_decision(state, call, profile(state, call.agent, call.team), shaped)


def refused(held: Decision, verdict: ApprovalVerdict | None) -> Decision:
    if verdict is None:
        code = "approval_timeout"
        message = (
            f"{held.message} No approver decided within {held.hold_seconds}s, so the call is "
            "refused."
        )
    else:
        code = "approval_denied"
        why = f": {verdict.reason}" if verdict.reason else ""
        message = f"{held.message} Denied by {verdict.decided_by or 'an approver'}{why}."
    return dataclasses.replace(
        held, action="refuse", status=403, code=code, message=message, hold_seconds=None
    )
