"""Agent registry models."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

from control_plane.schemas.common import NAME_PATTERN, PageQuery, Request

AgentStatus = Literal["active", "paused", "killed"]
Label = Field(None, min_length=1, max_length=50)
Tags = dict[str, str]


class AgentOut(BaseModel):
    id: uuid.UUID
    name: str
    description: str | None
    team: str | None
    team_id: uuid.UUID | None
    provider: str | None
    environment: str | None
    tags: Tags
    config: dict[str, Any]
    status: AgentStatus
    created_at: datetime
    updated_at: datetime


class AgentPage(BaseModel):
    items: list[AgentOut]
    next_cursor: str | None


class AgentCreate(Request):
    name: str = Field(
        min_length=1,
        max_length=200,
        pattern=NAME_PATTERN,
        description="Identity the proxy sees (proxy user name or X-AgentOps-Agent).",
    )
    description: str | None = Field(None, max_length=1000)
    team: str | None = Field(None, max_length=100, description="Name of an existing team.")
    provider: str | None = Label
    environment: str | None = Label
    tags: Tags = Field(default_factory=dict, max_length=50)
    config: dict[str, Any] = Field(default_factory=dict)
    status: AgentStatus = "active"


class AgentUpdate(Request):
    name: str | None = Field(None, min_length=1, max_length=200, pattern=NAME_PATTERN)
    description: str | None = Field(None, max_length=1000)
    team: str | None = Field(None, max_length=100)
    provider: str | None = Label
    environment: str | None = Label
    tags: Tags | None = Field(None, max_length=50)
    config: dict[str, Any] | None = None
    status: AgentStatus | None = None


class AgentQuery(PageQuery):
    team: str | None = Field(None, max_length=100)
    status: AgentStatus | None = None
    provider: str | None = Field(None, max_length=50)
    environment: str | None = Field(None, max_length=50)
    name_prefix: str | None = Field(None, max_length=200)
