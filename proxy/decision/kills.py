"""Kill-switch and pause refusals, from the snapshot's rules and the agent registry, and the
refusal of an agent name the org does not register on first use (pure).

Rule ``since`` times are deliberately not compared with a clock: a proxy whose clock runs
behind the control plane's must not ignore a fresh kill.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from agentops.wire.control import ControlAction, ControlRule, ControlSnapshot
from proxy.decision.types import Decision, refuse


@dataclass(frozen=True, slots=True)
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


def control_refusal(
    state: ControlSnapshot | None,
    org: str,
    agent: str,
    who: AgentProfile,
    action: ControlAction,
    key_id: str | None = None,
) -> Decision | None:
    """The first kill (or pause) covering the call: org, team, agent, API key rule, then the
    agent's registry status. ``key_id``: the verified key's public id, if any."""
    for rule in _rules(state, agent, who.team, action, key_id):
        return _rule_refusal(rule, agent)
    status = "killed" if action == "kill" else "paused"
    if who.status == status:
        return refuse(
            403,
            f"agent_{status}",
            f"Agent {agent!r} is {status} in the agent registry of org {org!r}.",
            kind=action,
            reference=f"agent:{agent}",
        )
    return None


def unregistered(state: ControlSnapshot | None, org: str, agent: str) -> Decision | None:
    """An agent name the org does not register on first use, presented with a valid key of the
    org, is refused before forwarding (nothing is spent under a name nobody registered)."""
    if state is None or state.auto_register_agents or agent in state.agents:
        return None
    return refuse(
        403,
        "agent_not_registered",
        (
            f"Agent {agent!r} is not registered in org {org!r}, and the org does not register "
            f"agent names on first use: ask an admin to register it (agentops agents create "
            f"{agent}) or use a registered name."
        ),
        kind="registry",
        reference=f"agent:{agent}",
    )


def _rules(
    state: ControlSnapshot | None,
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


def _rule_refusal(rule: ControlRule, agent: str) -> Decision:
    done = "killed" if rule.action == "kill" else "paused"
    what = _WHAT[rule.scope].format(target=rule.target)
    return refuse(
        403,
        f"{rule.scope}_{done}",
        (
            f"{what} was {done} by an administrator, so agent {agent!r} may not call models: "
            f"{rule.reason} (reference {rule.reference})."
        ),
        kind=rule.action,
        reference=rule.reference,
    )
