"""Policy models: the document is ``policies.Policy`` (schema version 1), the same one the
CLI applies from YAML and proxies receive; the API adds its id and revision."""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import Field

from control_plane.schemas.common import PageQuery, Request
from policies import Approval, Conditions, Policy, RateLimit, Scope
from policies.schema import NAME_PATTERN, ActionName, Mode

__all__ = ["Policy", "PolicyOut", "PolicyPage", "PolicyPatch", "PolicyQuery"]


class PolicyOut(Policy):
    id: uuid.UUID
    revision: int = Field(description="Counts changes: 1 when created, +1 per update")
    created_by: str | None = None
    created_at: datetime
    updated_at: datetime


class PolicyPage(Request):
    items: list[PolicyOut]
    next_cursor: str | None = None


class PolicyQuery(PageQuery):
    pass


class PolicyPatch(Request):
    """Fields to change; the rest of the document stays as it is. The result is validated as a
    whole (e.g. setting ``action: route`` needs ``route_to``)."""

    name: str | None = Field(None, pattern=NAME_PATTERN)
    description: str | None = Field(None, max_length=2000)
    enabled: bool | None = None
    mode: Mode | None = None
    priority: int | None = Field(None, ge=0, le=10_000)
    scope: Scope | None = None
    when: Conditions | None = None
    action: ActionName | None = None
    message: str | None = Field(None, max_length=1000)
    route_to: str | None = Field(None, min_length=1, max_length=200)
    approval: Approval | None = None
    limit: RateLimit | None = None
