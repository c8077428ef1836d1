"""API key models. The full key appears in exactly one response: the one that creates it."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from control_plane.schemas.common import Instant, PageQuery, Request

ScopeName = Literal["ingest", "ingest:any-org", "read", "admin"]


class ApiKeyOut(BaseModel):
    id: uuid.UUID
    name: str
    prefix: str = Field(description="Recognisable start of the key (aoh_<public id>).")
    scopes: list[ScopeName]
    agent_id: uuid.UUID | None
    created_at: datetime
    last_used_at: datetime | None
    expires_at: datetime | None
    revoked_at: datetime | None


class ApiKeyCreated(ApiKeyOut):
    key: str = Field(description="The full key. Shown once; store it now.")


class ApiKeyPage(BaseModel):
    items: list[ApiKeyOut]
    next_cursor: str | None


class ApiKeyCreate(Request):
    name: str = Field(min_length=1, max_length=200)
    scopes: list[ScopeName] = Field(min_length=1, max_length=4)
    agent_id: uuid.UUID | None = Field(None, description="Bind the key to one agent.")
    expires_at: Instant | None = None


class ApiKeyQuery(PageQuery):
    include_revoked: bool = False
