"""/orgs/profile: the caller's org."""

from __future__ import annotations

from control_plane import app_keys
from control_plane.endpoint import ApiRequest
from control_plane.errors import found
from control_plane.schemas.orgs import OrgOut, OrgUpdate
from control_plane.services import control_state
from control_plane.services.audit import snapshot
from control_plane.services.budgets import budget_rules
from control_plane.store import orgs

FIELDS = ("name", "timezone", "auto_register_agents")


async def get_profile(req: ApiRequest) -> OrgOut:
    async with req.transaction() as session:
        org = found(await orgs.get_org(session, req.principal.org_id), "org not found")
        return OrgOut.model_validate(org)


async def update_profile(req: ApiRequest) -> OrgOut:
    changes = req.body_as(OrgUpdate).model_dump(exclude_unset=True, exclude_none=True)
    async with req.transaction() as session:
        org = found(await orgs.get_org(session, req.principal.org_id), "org not found")
        before = snapshot(org, FIELDS)
        await orgs.update_org(session, org, changes)
        await req.audit(
            session,
            "org.update",
            "organization",
            org.id,
            before=before,
            after=snapshot(org, FIELDS),
        )
        out = OrgOut.model_validate(org)
        # What proxies do with unknown agent names is part of the org's control state.
        state = None
        if before["auto_register_agents"] != org.auto_register_agents:
            state = await control_state.changed(session, org.id, budget_rules)
    if state is not None:
        await control_state.publish(req.app_get(app_keys.STATE_BUS), state)
    return out
