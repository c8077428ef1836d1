"""Team models."""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from control_plane.schemas.common import NAME_PATTERN, Request


class TeamOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    name: str
    description: str | None
    created_at: datetime


class TeamPage(BaseModel):
    items: list[TeamOut]
    next_cursor: str | None


class TeamCreate(Request):
    name: str = Field(min_length=1, max_length=100, pattern=NAME_PATTERN)
    description: str | None = Field(None, max_length=500)


class TeamUpdate(Request):
    name: str | None = Field(None, min_length=1, max_length=100, pattern=NAME_PATTERN)
    description: str | None = Field(None, max_length=500)
