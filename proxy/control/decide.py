"""Kill-switch and pause decisions for one call, from a snapshot (pure, no I/O, no clock).

Order: kills (org, team, agent, API key rule, then the agent's registry status) before pauses,
so the stronger action names the refusal; then an agent name the org does not register on first
use; then the state's health (503 when it may not be served from). Rule ``since`` times are deliberately not compared with a clock: a proxy whose clock runs
behind the control plane's must not ignore a fresh kill.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from agentops.wire.control import ControlAction, ControlRule, ControlSnapshot
from proxy.control.health import StateHealth


@dataclass(frozen=True)
class Decision:
    allowed: bool
    status: int = 200
    code: str = "allowed"
    message: str = ""
    reference: str | None = None
    retry_after_seconds: int | None = None


ALLOW = Decision(allowed=True)


@dataclass(frozen=True)
class AgentProfile:
    """What the registry (the snapshot's ``agents`` map) says about an agent."""

    team: str | None
    tags: Any
    environment: str | None
    status: str  # active, paused or killed


def profile(state: ControlSnapshot | None, agent: str, team: str | None = None) -> AgentProfile:
    """The registry entry wins; ``team`` is the caller's fallback for unregistered agents."""
    entry = state.agents.get(agent, {}) if state is not None else {}
    registered_team = entry.get("team")
    return AgentProfile(
        team=registered_team if isinstance(registered_team, str) else team,
        tags=entry.get("tags"),
        environment=entry.get("environment") if isinstance(entry.get("environment"), str) else None,
        status=str(entry.get("status", "active")),
    )


def decide(
    state: ControlSnapshot | None,
    *,
    org: str,
    agent: str,
    health: StateHealth,
    team: str | None = None,
    key_id: str | None = None,
) -> Decision:
    who = profile(state, agent, team)
    for action in ("kill", "pause"):
        refusal = _refusal(state, org, agent, who, action, key_id)
        if refusal is not None:
            return refusal
    if state is not None and not state.auto_register_agents and agent not in state.agents:
        return _unregistered(org, agent)
    if not health.serving:
        return _unavailable(health)
    return ALLOW


def should_cut_stream(
    state: ControlSnapshot | None,
    *,
    org: str,
    agent: str,
    team: str | None = None,
    key_id: str | None = None,
) -> Decision | None:
    """For a stream already in flight: a kill cuts it; a pause lets it finish (None)."""
    return _refusal(state, org, agent, profile(state, agent, team), "kill", key_id)


def _refusal(
    state: ControlSnapshot | None,
    org: str,
    agent: str,
    who: AgentProfile,
    action: ControlAction,
    key_id: str | None = None,
) -> Decision | None:
    for rule in _rules(state, org, agent, who.team, action, key_id):
        return _rule_refusal(rule, agent)
    status = "killed" if action == "kill" else "paused"
    if who.status == status:
        return Decision(
            allowed=False,
            status=403,
            code=f"agent_{status}",
            message=f"Agent {agent!r} is {status} in the agent registry of org {org!r}.",
            reference=f"agent:{agent}",
        )
    return None


def _rules(
    state: ControlSnapshot | None,
    org: str,
    agent: str,
    team: str | None,
    action: ControlAction,
    key_id: str | None,
) -> Iterator[ControlRule]:
    if state is None:
        return
    rules = [r for r in state.rules if r.action == action]
    # An org rule in this org's snapshot applies whatever its target says: failing closed.
    yield from (r for r in rules if r.scope == "org")
    yield from (r for r in rules if r.scope == "team" and team is not None and r.target == team)
    yield from (r for r in rules if r.scope == "agent" and r.target == agent)
    # A key rule covers every name the key is used with, registered or not.
    yield from (r for r in rules if r.scope == "key" and key_id is not None and r.target == key_id)


_WHAT = {
    "org": "Organization {target!r}",
    "team": "Team {target!r}",
    "agent": "Agent {target!r}",
    "key": "API key {target!r}",
}


def _unregistered(org: str, agent: str) -> Decision:
    return Decision(
        allowed=False,
        status=403,
        code="agent_not_registered",
        message=(
            f"Agent {agent!r} is not registered in org {org!r}, and the org does not register "
            f"agent names on first use: ask an admin to register it (agentops agents create "
            f"{agent}) or use a registered name."
        ),
        reference=f"agent:{agent}",
    )


def _rule_refusal(rule: ControlRule, agent: str) -> Decision:
    done = "killed" if rule.action == "kill" else "paused"
    what = _WHAT[rule.scope].format(target=rule.target)
    return Decision(
        allowed=False,
        status=403,
        code=f"{rule.scope}_{done}",
        message=(
            f"{what} was {done} by an administrator, so agent {agent!r} may not call models: "
            f"{rule.reason} (reference {rule.reference})."
        ),
        reference=rule.reference,
    )


def _unavailable(health: StateHealth) -> Decision:
    why = {
        "no_snapshot": "this proxy has not yet received its control state",
        "stale_refuse_all": f"this proxy's control state is {health.age_seconds or 0:.0f}s old",
    }.get(health.reason, "this proxy's control state is unavailable")
    return Decision(
        allowed=False,
        status=503,
        code="control_state_unavailable",
        message=f"Call refused because {why}; retry shortly.",
        retry_after_seconds=health.retry_after_seconds,
    )
