"""The run counters a call's policies read, fetched before ``decide`` and written after it.

Only when a policy that may match the call has a run condition (calls or tokens per run, a
runaway loop) does the gate spend the round trip: one script counts the call on its run and
answers the run's counters, which ride into ``decide`` on the call (``Call.run``). A
``pause_run`` decision then marks the run paused on the same counters, so every replica
refuses the run's next calls, and only that run's.
"""

from __future__ import annotations

import dataclasses

from agentops.statebus import RunCall, RunCounters
from agentops.wire.control import ControlSnapshot
from policies import PolicySet, RunFacts, fingerprints, run_windows
from proxy.decision import Call, Decision
from proxy.decision.kills import profile
from proxy.decision.policy import facts_of


def run_key(call: Call) -> str:
    return f"{call.org}:{call.run_id}"


async def with_run(
    counters: RunCounters, state: ControlSnapshot | None, call: Call, policies: PolicySet
) -> Call:
    """``call`` with its run's counters (this call counted), or as it is when no policy that
    may match it reads them. Raises ``CounterUnavailable``."""
    facts = facts_of(call, profile(state, call.agent, call.team))
    windows = run_windows(policies, facts)
    if windows is None:
        return call
    prompt = tool_call = ""
    if windows:
        prints = fingerprints(call.model, facts.text(), call.body())
        prompt, tool_call = prints.prompt, prints.tool_call
    tokens = call.estimated_input_tokens or 0
    usage = await counters.count(RunCall(run_key(call), prompt, tool_call, tokens, windows))
    run = RunFacts(
        calls=usage.calls,
        tokens=usage.tokens,
        growth=usage.growth,
        context_tokens=tokens,
        prompt_repeats=usage.prompt_repeats,
        tool_repeats=usage.tool_repeats,
        paused=usage.paused,
    )
    return dataclasses.replace(call, run=run)


def pause_reason(decision: Decision) -> str:
    """What the paused run's later refusals quote: the policy and why it matched."""
    policy = next((m for m in decision.matched if m.reference == decision.reference), None)
    why = f"{policy.reason}" if policy is not None else decision.code
    name = policy.name if policy is not None else "?"
    return f"policy {name!r} paused it ({why}; reference {decision.reference})"
