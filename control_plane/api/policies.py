"""/policies: create, list, show, update (partial), delete; every change audited.

Enabled policies are part of the org's control-state snapshot, so every change bumps the org's
version in the same transaction and publishes the snapshot after the commit (the worker's
republish job covers a publish that fails). ``{policy}`` is the policy's id or its name.
"""

from __future__ import annotations

import uuid
from typing import Any

from pydantic import ValidationError

from agentops.wire.control import ControlSnapshot
from control_plane import app_keys
from control_plane.endpoint import ApiRequest
from control_plane.errors import ConflictError, NotFoundError
from control_plane.schemas.policies import PolicyOut, PolicyPage, PolicyPatch
from control_plane.services import control_state
from control_plane.store import policies as store
from control_plane.store.tables import PolicyRow
from control_plane.store.types import AsyncSession
from control_plane.validation import validation_error
from policies import Policy


def to_out(row: PolicyRow) -> PolicyOut:
    return PolicyOut.model_validate(
        {
            **row.spec,
            "id": row.id,
            "revision": row.revision,
            "created_by": row.created_by,
            "created_at": row.created_at,
            "updated_at": row.updated_at,
        }
    )


def document(policy: Policy) -> dict[str, Any]:
    return policy.model_dump(mode="json")


async def create_policy(req: ApiRequest) -> PolicyOut:
    spec = document(req.body_as(Policy))
    org_id = req.principal.org_id
    async with req.transaction() as session:
        if await store.get_policy_by_name(session, org_id, spec["name"]) is not None:
            raise ConflictError(f"a policy named {spec['name']!r} exists; update it instead")
        row = await store.create_policy(
            session, org_id=org_id, spec=spec, created_by=req.principal.actor_label
        )
        state = await _changed(session, req, "policy.create", row)
        out = to_out(row)
    await control_state.publish(req.app_get(app_keys.STATE_BUS), state)
    return out


async def list_policies(req: ApiRequest) -> PolicyPage:
    async with req.transaction() as session:
        page = await req.page_of(session, store.list_policies)
        return PolicyPage(items=[to_out(r) for r in page.items], next_cursor=page.next_cursor)


async def get_policy(req: ApiRequest) -> PolicyOut:
    async with req.transaction() as session:
        return to_out(await _find(session, req))


async def update_policy(req: ApiRequest) -> PolicyOut:
    patch = req.body_as(PolicyPatch).model_dump(mode="json", exclude_unset=True)
    org_id = req.principal.org_id
    async with req.transaction() as session:
        row = await _find(session, req)
        before = _audited(row)
        try:
            spec = document(Policy.model_validate({**row.spec, **patch}))
        except ValidationError as exc:
            raise validation_error(exc, "body") from None
        if spec == row.spec:
            return to_out(row)  # nothing changes: no new revision, no new snapshot
        other = await store.get_policy_by_name(session, org_id, spec["name"])
        if other is not None and other.id != row.id:
            raise ConflictError(f"a policy named {spec['name']!r} exists")
        await store.update_policy(session, row, spec)
        state = await _changed(session, req, "policy.update", row, before)
        out = to_out(row)
    await control_state.publish(req.app_get(app_keys.STATE_BUS), state)
    return out


async def delete_policy(req: ApiRequest) -> None:
    async with req.transaction() as session:
        row = await _find(session, req)
        before = _audited(row)
        await store.delete_policy(session, row)
        await req.audit(session, "policy.delete", "policy", row.id, before=before)
        state = await control_state.changed(session, req.principal.org_id)
    await control_state.publish(req.app_get(app_keys.STATE_BUS), state)


async def _find(session: AsyncSession, req: ApiRequest) -> PolicyRow:
    ref = req.request.match_info["policy"]
    org_id = req.principal.org_id
    try:
        row = await store.get_policy(session, org_id, uuid.UUID(ref))
    except ValueError:
        row = await store.get_policy_by_name(session, org_id, ref)
    if row is None:
        raise NotFoundError(f"no such policy: {ref!r}")
    return row


async def _changed(
    session: AsyncSession,
    req: ApiRequest,
    action: str,
    row: PolicyRow,
    before: dict[str, Any] | None = None,
) -> ControlSnapshot:
    """Audit the policy's new revision and bump the org's control state (published after the
    commit)."""
    await req.audit(session, action, "policy", row.id, before=before, after=_audited(row))
    return await control_state.changed(session, req.principal.org_id)


def _audited(row: PolicyRow) -> dict[str, Any]:
    return {"name": row.name, "revision": row.revision, "spec": row.spec}
