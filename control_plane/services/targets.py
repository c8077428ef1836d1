"""Targets of emergency actions that are not plain names: API keys, and agents that do not
exist yet. An unknown name is an error listing close names (a typo must not "succeed"), unless
the admin asks to register it first (``create``) to block a name pre-emptively.
"""

from __future__ import annotations

import difflib
import re
import uuid
from typing import Any

from control_plane.auth.principal import Principal
from control_plane.errors import NotFoundError, ValidationFailedError
from control_plane.schemas.common import NAME_PATTERN
from control_plane.store import agents, api_keys
from control_plane.store.tables import Agent, ApiKey
from control_plane.store.types import AsyncSession

REGISTERED_BY_ADMIN = "registered by an emergency action before its first call"
_NAME = re.compile(NAME_PATTERN)


def close_names(name: str, candidates: list[str], limit: int = 5) -> list[str]:
    return difflib.get_close_matches(name, candidates, n=limit, cutoff=0.6)


def unknown(what: str, name: str, candidates: list[str], hint: str = "") -> NotFoundError:
    similar = close_names(name, candidates)
    message = f"no {what} named {name!r}"
    if similar:
        message += "; did you mean " + ", ".join(repr(s) for s in similar) + "?"
    return NotFoundError(
        message + hint, code=f"unknown_{what.replace(' ', '_')}", details={"similar": similar}
    )


async def unknown_agent(
    session: AsyncSession, org_id: uuid.UUID, name: str, *, creatable: bool
) -> NotFoundError:
    hint = ' (to block a name before its first call, add --create / "create": true)'
    return unknown(
        "agent", name, await agents.list_agent_names(session, org_id), hint if creatable else ""
    )


async def register_agent(
    session: AsyncSession, principal: Principal, name: str
) -> tuple[Agent, dict[str, Any]]:
    """Register ``name`` so a rule and a status can name it; returns it and its audit fields."""
    if not _NAME.fullmatch(name):
        raise ValidationFailedError(
            f"body: target: {name!r} is not a valid agent name: use letters, digits, '.', '_', '-'",
            details=[{"field": "target", "location": "body", "message": "invalid agent name"}],
        )
    agent = await agents.create_agent(
        session, org_id=principal.org_id, name=name, description=REGISTERED_BY_ADMIN,
        tags={}, config={}, status="active",
    )  # fmt: skip
    return agent, {"name": name, "status": "active", "description": REGISTERED_BY_ADMIN}


async def find_key(session: AsyncSession, org_id: uuid.UUID, given: str) -> ApiKey:
    """An API key of the org by id (UUID), public id, or the key's displayed prefix
    (``aoh_<public id>``, with or without the rest of the key)."""
    key: ApiKey | None = None
    try:
        key = await api_keys.get_api_key(session, org_id, uuid.UUID(given))
    except ValueError:
        public_id = given.removeprefix("aoh_").split("_", 1)[0]
        key = await api_keys.get_api_key_by_public_id(session, org_id, public_id)
    if key is None:
        known = await api_keys.list_api_key_public_ids(session, org_id)
        raise unknown("API key", given.removeprefix("aoh_")[:12], known)
    return key
