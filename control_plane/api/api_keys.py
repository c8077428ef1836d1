"""/api-keys: create (the key is shown once), list, revoke.

A key with the ``ingest`` scope is also proxy credentials: creating or revoking one changes what
proxies enforce, so it bumps the org's control-state version inside the transaction, and the
org's key directory (then its snapshot) is published after the commit.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from agentops.statebus import PROXY_SCOPE, KeyEntry
from agentops.wire.control import ControlSnapshot
from control_plane import app_keys
from control_plane.auth.api_keys import PREFIX, generate_api_key
from control_plane.endpoint import ApiRequest
from control_plane.errors import ForbiddenError, ValidationFailedError, found
from control_plane.schemas.api_keys import (
    ApiKeyCreate,
    ApiKeyCreated,
    ApiKeyOut,
    ApiKeyPage,
    ApiKeyQuery,
)
from control_plane.services import control_state, key_directory
from control_plane.services.audit import snapshot
from control_plane.store import agents, api_keys, orgs
from control_plane.store.tables import ApiKey, utcnow
from control_plane.store.types import AsyncSession

FIELDS = ("name", "public_id", "scopes", "agent_id", "expires_at", "revoked_at")


def to_out(key: ApiKey) -> ApiKeyOut:
    return ApiKeyOut(
        id=key.id,
        name=key.name,
        prefix=f"{PREFIX}{key.public_id}",
        scopes=key.scopes,  # validated on the way in
        agent_id=key.agent_id,
        created_at=key.created_at,
        last_used_at=key.last_used_at,
        expires_at=key.expires_at,
        revoked_at=key.revoked_at,
    )


ANY_ORG = "ingest:any-org"


async def _check_operator(session: AsyncSession, req: ApiRequest) -> None:
    """Only the operator org mints keys that ship other orgs' records."""
    operator = req.app_get(app_keys.SETTINGS).control_plane.operator_org
    org = await orgs.get_org(session, req.principal.org_id)
    if operator is None or org is None or org.slug != operator:
        raise ForbiddenError(
            f"the {ANY_ORG} scope is for the operator org's shared proxies "
            f"(control_plane.operator_org: {operator or 'unset'})",
            code="scope_not_allowed",
        )


async def create_api_key(req: ApiRequest) -> ApiKeyCreated:
    body = req.body_as(ApiKeyCreate)
    if body.expires_at is not None and body.expires_at <= utcnow():
        raise ValidationFailedError(
            "body: expires_at: must be in the future",
            details=[
                {"field": "expires_at", "location": "body", "message": "must be in the future"}
            ],
        )
    new = generate_api_key()
    org_id = req.principal.org_id
    async with req.transaction() as session:
        if ANY_ORG in body.scopes:
            await _check_operator(session, req)
        if (
            body.agent_id is not None
            and await agents.get_agent(session, org_id, body.agent_id) is None
        ):
            raise ValidationFailedError(
                "body: agent_id: no such agent",
                details=[{"field": "agent_id", "location": "body", "message": "no such agent"}],
            )
        key = await api_keys.create_api_key(
            session,
            org_id=org_id,
            name=body.name,
            public_id=new.public_id,
            secret_hash=new.secret_hash,
            scopes=sorted(set(body.scopes)),
            agent_id=body.agent_id,
            created_by=req.principal.user_id,
            expires_at=body.expires_at,
        )
        await req.audit(session, "api_key.create", "api_key", key.id, after=snapshot(key, FIELDS))
        change = await _proxy_keys_changed(req, session, key)
        created = ApiKeyCreated(**to_out(key).model_dump(), key=new.token)
    await _publish(req, change)
    return created


async def list_api_keys(req: ApiRequest) -> ApiKeyPage:
    query = req.query_as(ApiKeyQuery)
    async with req.transaction() as session:
        page = await api_keys.list_api_keys(
            session,
            req.principal.org_id,
            include_revoked=query.include_revoked,
            cursor=query.cursor,
            limit=query.limit,
        )
    return ApiKeyPage(items=[to_out(k) for k in page.items], next_cursor=page.next_cursor)


async def revoke_api_key(req: ApiRequest) -> None:
    key_id = req.path_id("key_id")
    change: _ProxyKeysChange | None = None
    async with req.transaction() as session:
        key = found(
            await api_keys.get_api_key(session, req.principal.org_id, key_id),
            f"no such API key: {key_id}",
        )
        if key.revoked_at is None:
            before = snapshot(key, FIELDS)
            await api_keys.revoke_api_key(session, key, utcnow())
            await req.audit(
                session,
                "api_key.revoke",
                "api_key",
                key.id,
                before=before,
                after=snapshot(key, FIELDS),
            )
            change = await _proxy_keys_changed(req, session, key)
    await _publish(req, change)


@dataclass(frozen=True)
class _ProxyKeysChange:
    org: str
    entries: list[KeyEntry]
    snapshot: ControlSnapshot


async def _proxy_keys_changed(
    req: ApiRequest, session: AsyncSession, key: ApiKey
) -> _ProxyKeysChange | None:
    """Inside the transaction: bump the version and read the org's directory, for proxy keys."""
    if PROXY_SCOPE not in key.scopes:
        return None
    org_id: uuid.UUID = req.principal.org_id
    state = await control_state.changed(session, org_id, req.app_get(app_keys.STATE_BUS).budgets)
    org, entries = await key_directory.org_entries(session, org_id)
    return _ProxyKeysChange(org, entries, state)


async def _publish(req: ApiRequest, change: _ProxyKeysChange | None) -> None:
    """After the commit: the directory first, so proxies know the key before the new version.
    When it fails the snapshot is held back too; the worker republishes both."""
    if change is None:
        return
    bus = req.app_get(app_keys.STATE_BUS)
    version = change.snapshot.version
    if await key_directory.publish_keys(bus.directory, change.org, version, change.entries):
        await control_state.publish(bus, change.snapshot)
