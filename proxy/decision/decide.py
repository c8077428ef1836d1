"""``decide(snapshot, call)``: the one decision for a call, from memory (pure, no I/O, no clock).

Order, first refusal wins:
1. kill, then pause (org, team, agent, API key rule, then the agent's registry status), so the
   stronger action names the refusal; then a run a ``pause_run`` policy paused (the run's
   counters, read by the gate, say so);
2. an agent name the org does not register on first use (``auto_register_agents`` off);
3. the control state's health (503 when it may not be served from);
4. policies (``proxy/decision/policy.py``): deny refuses, pause_run refuses and names the run
   the gate must pause (``Decision.pause_run_seconds``), require_approval holds, redact,
   route and alert shape the call, rate_limit names the allowances the call takes from (the
   gate takes them first, then the budget holds); shadow policies are recorded and change
   nothing. Policies come before the counters so a call a policy refuses takes no rate-limit
   unit or budget hold, and a routed call is checked against budgets on the model it will
   really be served by;
5. hard budgets: which ones cover the call, and its worst-case cost; a call no worst case can be
   priced for is refused here. The holds themselves are taken by the gate (``Decision.holds``),
   on the shared counters, only for a call every pure step let through (a held call's, once
   it is approved).
"""

from __future__ import annotations

from dataclasses import replace

from agentops.wire.control import ControlSnapshot
from policies import EMPTY, PolicySet
from proxy.decision.budgets import cannot_estimate, matching_budgets, worst_case
from proxy.decision.kills import AgentProfile, control_refusal, profile, unregistered
from proxy.decision.policy import policy_decision, run_paused
from proxy.decision.types import ALLOW, Call, Decision, StateHealth, refuse


def decide(
    state: ControlSnapshot | None,
    call: Call,
    *,
    health: StateHealth,
    count_budgets: bool = True,
    policies: PolicySet = EMPTY,
) -> Decision:
    """``count_budgets``: whether there are spend counters to hold budgets on at all;
    ``policies``: the snapshot's policies, compiled (the gate compiles once per version)."""
    who = profile(state, call.agent, call.team)
    for action in ("kill", "pause"):
        refusal = control_refusal(state, call.org, call.agent, who, action, call.key_id)
        if refusal is not None:
            return refusal
    if call.run is not None and call.run.paused is not None:
        return run_paused(call, call.run.paused)
    refusal = unregistered(state, call.org, call.agent)
    if refusal is not None:
        return refusal
    if not health.serving:
        return unavailable(health)
    shaped = policy_decision(policies, call, who)
    if shaped.action != "allow" or not count_budgets:
        return shaped
    return budget_decision(state, call, who, shaped)


def budget_decision(
    state: ControlSnapshot | None, call: Call, who: AgentProfile, shaped: Decision = ALLOW
) -> Decision:
    """The hard budgets to hold for an allowed (or approved) call, on the model it is sent to."""
    model = shaped.route_to or call.model
    rules = matching_budgets(
        state, agent=call.agent, team=who.team, provider=call.provider, model=model
    )
    if not rules:
        return shaped  # the hot path: no hard budget, no round trip
    estimate = worst_case(call, model)
    if estimate is None:
        refusal = cannot_estimate(rules[0], model)
        return replace(refusal, matched=shaped.matched + refusal.matched)
    return replace(shaped, holds=tuple(rules), worst_case_usd=estimate)


def should_cut_stream(
    state: ControlSnapshot | None, *, org: str, agent: str, key_id: str | None = None
) -> Decision | None:
    """For a stream already in flight: a kill (of the agent or of the key it came with) cuts
    it; a pause lets it finish (None)."""
    return control_refusal(state, org, agent, profile(state, agent), "kill", key_id)


def unavailable(health: StateHealth) -> Decision:
    why = {
        "no_snapshot": "this proxy has not yet received its control state",
        "stale_refuse_all": f"this proxy's control state is {health.age_seconds or 0:.0f}s old",
    }.get(health.reason, "this proxy's control state is unavailable")
    return refuse(
        503,
        "control_state_unavailable",
        f"Call refused because {why}; retry shortly.",
        kind="state",
        retry_after_seconds=health.retry_after_seconds,
    )


SPOOL_FULL = refuse(
    503,
    "agentops_spool_full",
    "AgentOps proxy: the local record spool is full; calls are refused until it drains.",
    kind="spool",
    reason="spool_full",
)
