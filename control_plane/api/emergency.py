"""/emergency: kill, pause and resume (audited, published after commit), and what is in force."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Literal

from control_plane import app_keys
from control_plane.endpoint import ApiRequest
from control_plane.schemas.common import from_row
from control_plane.schemas.emergency import (
    ControlRuleOut,
    EmergencyRequest,
    EmergencyResult,
    EmergencyStatus,
    ProxyOut,
    ResumeRequest,
)
from control_plane.services import audit, control_state, emergency
from control_plane.store import control_rules, orgs, proxies
from control_plane.store.tables import ControlRule, ProxyHeartbeat, utcnow
from control_plane.store.types import AsyncSession

# A proxy silent for this long has gone away (scaled down, redeployed): it is not listed.
PROXY_FORGET_AFTER = timedelta(hours=1)


async def kill(req: ApiRequest) -> EmergencyResult:
    return await _act(req, "kill")


async def pause(req: ApiRequest) -> EmergencyResult:
    return await _act(req, "pause")


async def resume(req: ApiRequest) -> EmergencyResult:
    bus = req.app_get(app_keys.STATE_BUS)
    async with req.transaction() as session:
        outcome = await emergency.resume(
            session, req.principal, req.body_as(ResumeRequest), bus.budgets
        )
        await _audit(req, session, outcome)
    await control_state.publish(bus, outcome.snapshot)
    return _result("resume", outcome)


async def status(req: ApiRequest) -> EmergencyStatus:
    org_id = req.principal.org_id
    async with req.transaction() as session:
        org = await orgs.get_org(session, org_id)
        assert org is not None, "the caller's org exists"
        version = await control_rules.get_version(session, org_id)
        rules = await control_rules.list_rules_in_force(session, org_id)
        beats = await proxies.list_heartbeats(
            session, org_id, seen_since=utcnow() - PROXY_FORGET_AFTER
        )
    now = utcnow()
    return EmergencyStatus(
        org=org.slug,
        version=version,
        rules=[rule_out(rule) for rule in rules],
        proxies=[proxy_out(beat, version, now) for beat in beats],
    )


def proxy_out(beat: ProxyHeartbeat, version: int, now: datetime) -> ProxyOut:
    """A proxy's line: its state's age runs on from its last confirmation, so a proxy that
    stopped beating looks older, not frozen at its last report."""
    age = None
    if beat.state_confirmed_at is not None:
        age = round(max(0.0, (now - beat.state_confirmed_at).total_seconds()), 1)
    bound = beat.state_max_age_seconds
    return ProxyOut(
        proxy_id=beat.proxy_id,
        version=beat.version,
        applied=holds(beat.version, version),
        seen_at=beat.seen_at,
        state_age_seconds=age,
        stale=age is not None and bound is not None and age > bound,
    )


def holds(held: int, current: int) -> bool:
    """Whether a proxy holding ``held`` enforces ``current``. Holding nothing (-1) is the empty
    state, which is what version 0 (an org never changed) means."""
    return max(held, 0) >= current


async def _act(req: ApiRequest, action: Literal["kill", "pause"]) -> EmergencyResult:
    bus = req.app_get(app_keys.STATE_BUS)
    async with req.transaction() as session:
        outcome = await emergency.apply(
            session, req.principal, action, req.body_as(EmergencyRequest), bus.budgets
        )
        await _audit(req, session, outcome)
    # After the commit, never inside it: a proxy must not enforce what could still roll back.
    await control_state.publish(bus, outcome.snapshot)
    return _result(action, outcome)


async def _audit(req: ApiRequest, session: AsyncSession, outcome: emergency.AppliedChanges) -> None:
    for entry in outcome.changes.audit:
        await audit.record(session, req.principal, entry)


def _result(
    action: Literal["kill", "pause", "resume"], outcome: emergency.AppliedChanges
) -> EmergencyResult:
    return EmergencyResult(
        action=action,
        version=outcome.snapshot.version,
        rules=[rule_out(rule) for rule in outcome.changes.rules],
        agents=outcome.changes.agents,
    )


def rule_out(rule: ControlRule) -> ControlRuleOut:
    return from_row(ControlRuleOut, rule, created_by=rule.created_by_label or rule.created_by)
