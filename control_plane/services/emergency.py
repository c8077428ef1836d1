"""Emergency rules: kill, pause and resume at org, team, agent and API key scope, and who may
do it.

Every action runs in the caller's transaction and begins by bumping the org's control-state
version, which takes the org's row lock: concurrent actions on one org serialise, each sees the
last one's rules, and the snapshot built at the end carries the version of this commit. Bulk
actions (scope ``agents`` with a selector) resolve to the matching registered agents *now* and
create one agent-scope rule each; an agent that later gains the tag is not covered. A key
rule covers every agent name the key authorises, including names not registered yet. An unknown
agent or team is an error listing close names; ``create`` registers an agent name first.
"""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass, field
from typing import Any, Literal

from agentops.wire.control import ControlSnapshot
from control_plane.auth.principal import Principal
from control_plane.errors import ForbiddenError, NotFoundError, ValidationFailedError
from control_plane.schemas.emergency import AgentSelector, EmergencyRequest, ResumeRequest
from control_plane.services import targets
from control_plane.services.audit import AuditEntry
from control_plane.services.audit import snapshot as audit_fields
from control_plane.services.budgets import budget_rules
from control_plane.services.control_state import BudgetSource, build_snapshot
from control_plane.store import agents, control_rules, orgs, teams
from control_plane.store.tables import Agent, ControlRule
from control_plane.store.types import AsyncSession

RULE_FIELDS = ("scope", "target", "action", "reason", "reference", "lifted_at")
STATUS_OF = {"kill": "killed", "pause": "paused"}


@dataclass(frozen=True)
class Target:
    scope: Literal["org", "team", "agent", "key"]
    name: str
    agent: Agent | None = None  # the registry entry of an agent target, when registered
    registered: dict[str, Any] | None = None  # audit fields when this action registered it


@dataclass
class Changes:
    """What an action did, collected as it goes: for the response and the audit log."""

    rules: list[ControlRule] = field(default_factory=list)
    agents: list[str] = field(default_factory=list)
    audit: list[AuditEntry] = field(default_factory=list)


@dataclass(frozen=True)
class AppliedChanges:
    """What a kill or pause changed, and the control state it leaves."""

    changes: Changes
    snapshot: ControlSnapshot  # to publish once the transaction has committed


async def apply(
    session: AsyncSession,
    principal: Principal,
    action: Literal["kill", "pause"],
    body: EmergencyRequest,
    budgets: BudgetSource = budget_rules,
) -> AppliedChanges:
    version = await control_rules.increment_version(session, principal.org_id)
    targets = await resolve(
        session, principal, body.scope, body.target, body.selector, create=body.create
    )
    changes = Changes()
    for target in targets:
        if target.agent is not None and target.registered is not None:
            entry = AuditEntry("agent.create", "agent", target.agent.id, None, target.registered)
            changes.audit.append(entry)
        existing = await control_rules.get_rule_in_force(
            session, principal.org_id, target.scope, target.name
        )
        if existing is not None:
            await _lift(session, principal, existing, changes, "emergency.replace")
        rule = await control_rules.create_rule(
            session,
            org_id=principal.org_id,
            scope=target.scope,
            target=target.name,
            action=action,
            reason=body.reason,
            reference=f"ks_{secrets.token_hex(6)}",
            created_by=principal.actor_id,
            created_by_label=principal.actor_label,
        )
        changes.rules.append(rule)
        changes.audit.append(
            AuditEntry(f"emergency.{action}", "control_rule", rule.id, None, _fields(rule))
        )
        if target.agent is not None:
            await _set_status(session, target.agent, STATUS_OF[action], changes)
    snapshot = await build_snapshot(session, principal.org_id, version, budgets)
    return AppliedChanges(changes, snapshot)


async def resume(
    session: AsyncSession,
    principal: Principal,
    body: ResumeRequest,
    budgets: BudgetSource = budget_rules,
) -> AppliedChanges:
    version = await control_rules.increment_version(session, principal.org_id)
    targets = await resolve(session, principal, body.scope, body.target, body.selector)
    changes = Changes()
    for target in targets:
        existing = await control_rules.get_rule_in_force(
            session, principal.org_id, target.scope, target.name
        )
        if existing is not None:
            await _lift(session, principal, existing, changes, "emergency.resume", body.reason)
        if target.agent is not None and target.agent.status != "active":
            await _set_status(session, target.agent, "active", changes)
    if not changes.rules and not changes.agents:
        names = ", ".join(f"{t.scope} {t.name!r}" for t in targets)
        raise NotFoundError(f"nothing is killed or paused at {names}", code="not_in_force")
    snapshot = await build_snapshot(session, principal.org_id, version, budgets)
    return AppliedChanges(changes, snapshot)


async def resolve(
    session: AsyncSession,
    principal: Principal,
    scope: str,
    target: str | None,
    selector: AgentSelector | None,
    *,
    create: bool = False,
) -> list[Target]:
    """The rule targets of a request, after checking the caller may act on each. ``create``:
    an agent not registered yet is registered (kill/pause only), else it is a 404."""
    org_id = principal.org_id
    if scope == "org":
        return [await _org_target(session, principal, target)]
    if scope == "team":
        assert target is not None
        team = await teams.get_team_by_name(session, org_id, target)
        if team is None:
            raise targets.unknown("team", target, await teams.list_team_names(session, org_id))
        check_team(principal, team.id, f"team {target!r}")
        return [Target("team", team.name)]
    if scope == "agent":
        assert target is not None
        return [await _agent_target(session, principal, target, create)]
    if scope == "key":
        assert target is not None
        if principal.role == "team_lead":
            raise ForbiddenError("a team_lead may not act on API keys", code="outside_team")
        key = await targets.find_key(session, org_id, target)
        return [Target("key", key.public_id)]
    assert selector is not None
    matched = await select_agents(session, principal, selector)
    if not matched:
        raise NotFoundError("no registered agent matches the selector", code="no_agents_match")
    return [Target("agent", agent.name, agent) for agent in matched]


async def select_agents(
    session: AsyncSession, principal: Principal, selector: AgentSelector
) -> list[Agent]:
    """Registered agents matching the selector; a team_lead's selection stays inside its team."""
    team_id = None
    if selector.team is not None:
        team = await teams.get_team_by_name(session, principal.org_id, selector.team)
        if team is None:
            raise NotFoundError(f"no team named {selector.team!r}")
        check_team(principal, team.id, f"team {selector.team!r}")
        team_id = team.id
    rows = await agents.find_agents(
        session, principal.org_id, team_id=team_id, environment=selector.environment
    )
    if principal.role == "team_lead":
        rows = [row for row in rows if row.team_id == principal.team_id]
    if selector.tag is not None:
        rows = [row for row in rows if _has_tag(row.tags, selector.tag)]
    return list(rows)


def _has_tag(tags: dict[str, Any], wanted: str) -> bool:
    key, sep, value = wanted.partition("=")
    return key in tags and (not sep or str(tags[key]) == value)


async def _agent_target(
    session: AsyncSession, principal: Principal, name: str, create: bool
) -> Target:
    agent = await agents.get_agent_by_name(session, principal.org_id, name)
    check_team(principal, agent.team_id if agent else None, f"agent {name!r}")
    if agent is not None:
        return Target("agent", name, agent)
    if not create:
        raise await targets.unknown_agent(session, principal.org_id, name, creatable=True)
    agent, fields = await targets.register_agent(session, principal, name)
    return Target("agent", name, agent, registered=fields)


async def _org_target(session: AsyncSession, principal: Principal, target: str | None) -> Target:
    if principal.role == "team_lead":
        raise ForbiddenError("a team_lead may not act on the whole org", code="outside_team")
    org = await orgs.get_org(session, principal.org_id)
    assert org is not None, "the caller's org exists"
    if target is not None and target != org.slug:
        raise ValidationFailedError(
            f"body: target: org scope acts on your org {org.slug!r}, not {target!r}",
            details=[{"field": "target", "location": "body", "message": "not your org"}],
        )
    return Target("org", org.slug)


def check_team(principal: Principal, team_id: uuid.UUID | None, what: str) -> None:
    """A team_lead acts on its own team and its team's registered agents, nothing else."""
    if principal.role == "team_lead" and (team_id is None or team_id != principal.team_id):
        raise ForbiddenError(
            f"a team_lead may only act on its own team and its agents, not {what}",
            code="outside_team",
        )


async def _lift(
    session: AsyncSession,
    principal: Principal,
    rule: ControlRule,
    changes: Changes,
    audit_action: str,
    reason: str | None = None,
) -> None:
    before = _fields(rule)
    await control_rules.lift_rule(session, rule, lifted_by=principal.actor_id)
    if audit_action == "emergency.resume":
        changes.rules.append(rule)
    after = _fields(rule) | ({"resume_reason": reason} if reason else {})
    changes.audit.append(AuditEntry(audit_action, "control_rule", rule.id, before, after))


async def _set_status(session: AsyncSession, agent: Agent, status: str, changes: Changes) -> None:
    if agent.status == status:
        return
    before = {"status": agent.status}
    await agents.update_agent(session, agent, {"status": status})
    changes.agents.append(agent.name)
    changes.audit.append(AuditEntry("agent.update", "agent", agent.id, before, {"status": status}))


def _fields(rule: ControlRule) -> dict[str, Any]:
    return audit_fields(rule, RULE_FIELDS)
