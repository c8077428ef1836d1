"""Org member models."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from control_plane.schemas.common import EMAIL_PATTERN, PageQuery, Request

RoleName = Literal["owner", "admin", "team_lead", "member", "viewer"]


class MemberOut(BaseModel):
    id: uuid.UUID
    user_id: uuid.UUID
    email: str
    display_name: str | None
    role: RoleName
    team_id: uuid.UUID | None
    created_at: datetime


class MemberPage(BaseModel):
    items: list[MemberOut]
    next_cursor: str | None


class MemberInvite(Request):
    email: str = Field(max_length=320, pattern=EMAIL_PATTERN)
    role: RoleName = "member"
    team_id: uuid.UUID | None = Field(None, description="Team led by a team_lead.")


class MemberUpdate(Request):
    role: RoleName | None = None
    team_id: uuid.UUID | None = None


class MemberQuery(PageQuery):
    role: RoleName | None = None


class MemberInvited(MemberOut):
    invite_token: str | None = Field(
        description="Single-use invitation token, shown this once (stored hashed); null when "
        "the person already has a password and simply logs in choosing this org."
    )
    invite_expires_at: datetime | None
    invite_emailed: bool = Field(
        description="Whether the token was e-mailed to the person through the org's e-mail channel."
    )


class PasswordResetIssued(BaseModel):
    token: str = Field(description="Single-use password-reset token, shown this once.")
    expires_at: datetime
    emailed: bool
