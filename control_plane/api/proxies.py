"""/proxies/heartbeat: a proxy reports which control-state version it holds (ingest-scope key).

The key's org is the only org recorded: a shared proxy holding many orgs' state reports them
all, and each org's control plane view sees only its own line.
"""

from __future__ import annotations

from control_plane.api.emergency import holds
from control_plane.endpoint import ApiRequest
from control_plane.schemas.emergency import HeartbeatIn, HeartbeatOut
from control_plane.store import control_rules, orgs, proxies


async def heartbeat(req: ApiRequest) -> HeartbeatOut:
    body = req.body_as(HeartbeatIn)
    org_id = req.principal.org_id
    async with req.transaction() as session:
        org = await orgs.get_org(session, org_id)
        assert org is not None, "the caller's org exists"
        held = body.versions.get(org.slug, -1)
        await proxies.record_heartbeat(
            session,
            org_id,
            body.proxy_id,
            held,
            state_age_seconds=body.state_age_seconds,
            state_max_age_seconds=body.state_max_age_seconds,
        )
        version = await control_rules.get_version(session, org_id)
    return HeartbeatOut(org=org.slug, version=version, applied=holds(held, version))
