"""Auth request/response models."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from control_plane.schemas.common import EMAIL_PATTERN, SLUG_PATTERN, Request

Email = Field(max_length=320, pattern=EMAIL_PATTERN, examples=["ada@example.com"])


class SignupRequest(Request):
    email: str = Email
    password: str = Field(min_length=8, max_length=256)
    display_name: str | None = Field(None, max_length=200)
    org_name: str = Field(min_length=1, max_length=200)
    org_slug: str | None = Field(
        None,
        min_length=2,
        max_length=63,
        pattern=SLUG_PATTERN,
        description="URL-safe org id; derived from org_name when omitted.",
    )


class LoginRequest(Request):
    email: str = Email
    password: str = Field(min_length=1, max_length=256)
    org: str | None = Field(
        None, max_length=63, description="Org slug, for users in several orgs (default: oldest)."
    )


class RefreshRequest(Request):
    refresh_token: str = Field(min_length=1, max_length=200)


class TokenResponse(BaseModel):
    access_token: str
    token_type: Literal["bearer"] = "bearer"
    expires_at: datetime
    refresh_token: str
    user_id: uuid.UUID
    org_id: uuid.UUID
    org_slug: str
    role: str


Password = Field(min_length=8, max_length=256)


class ChangePasswordRequest(Request):
    current_password: str = Field(min_length=1, max_length=256)
    new_password: str = Password


class AcceptInviteRequest(Request):
    token: str = Field(min_length=1, max_length=200)
    password: str = Password


class ResetPasswordRequest(Request):
    token: str = Field(min_length=1, max_length=200)
    password: str = Password


class PasswordResetRequest(Request):
    email: str = Email


class Accepted(BaseModel):
    """The same answer whether or not the address exists (no account enumeration)."""

    status: Literal["accepted"] = "accepted"
    message: str
