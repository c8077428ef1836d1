"""Audit log models."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Self

from pydantic import BaseModel, ConfigDict, Field, model_validator

from control_plane.schemas.common import Instant, PageQuery


class AuditLogOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    actor_type: str
    actor_id: str | None
    actor_label: str | None
    action: str
    entity_type: str
    entity_id: str | None
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    request_id: str | None
    created_at: datetime


class AuditLogPage(BaseModel):
    items: list[AuditLogOut]
    next_cursor: str | None


class AuditQuery(PageQuery):
    action: str | None = Field(None, max_length=100)
    entity_type: str | None = Field(None, max_length=50)
    entity_id: str | None = Field(None, max_length=64)
    actor_id: str | None = Field(None, max_length=64)
    since: Instant | None = None
    until: Instant | None = None

    @model_validator(mode="after")
    def _ordered(self) -> Self:
        if self.since is not None and self.until is not None and self.since > self.until:
            raise ValueError("until must not be before since")
        return self
