"""Notification channel and alert delivery models."""

from __future__ import annotations

import re
import uuid
from datetime import datetime
from typing import Any, Literal, Self

from pydantic import BaseModel, Field, model_validator

from control_plane.schemas.common import EMAIL_PATTERN, PageQuery, Request

ChannelKind = Literal["webhook", "slack", "email"]
DeliveryStatus = Literal["pending", "delivered", "dead"]
Url = Field(None, min_length=8, max_length=2000, pattern=r"^https?://")


class ChannelCreate(Request):
    name: str = Field(min_length=1, max_length=200)
    kind: ChannelKind
    url: str | None = Url
    recipients: list[str] = Field(default_factory=list, max_length=50)
    enabled: bool = True

    @model_validator(mode="after")
    def _destination(self) -> Self:
        if self.kind == "email":
            if not self.recipients or self.url is not None:
                raise ValueError("an email channel takes recipients and no url")
        elif self.url is None or self.recipients:
            raise ValueError(f"a channel of kind {self.kind} takes a url and no recipients")
        _check_emails(self.recipients)
        return self


class ChannelUpdate(Request):
    name: str | None = Field(None, min_length=1, max_length=200)
    url: str | None = Url
    recipients: list[str] | None = Field(None, max_length=50)
    enabled: bool | None = None
    rotate_secret: bool = Field(False, description="Webhook: issue a new signing secret.")

    @model_validator(mode="after")
    def _emails(self) -> Self:
        _check_emails(self.recipients or [])
        return self


def _check_emails(values: list[str]) -> None:
    for value in values:
        if not re.match(EMAIL_PATTERN, value):
            raise ValueError(f"not an e-mail address: {value!r}")


class ChannelOut(BaseModel):
    id: uuid.UUID
    name: str
    kind: ChannelKind
    url: str | None = Field(
        description="Webhook: the URL. Slack: only its scheme and host (the URL is a credential, "
        "stored sealed and never shown again)."
    )
    recipients: list[str]
    enabled: bool
    has_secret: bool = Field(description="A signing secret or Slack URL is stored (sealed).")
    created_at: datetime
    updated_at: datetime


class ChannelCreated(ChannelOut):
    secret: str | None = Field(
        description="Webhook signing secret (whsec_…), shown only now; verify webhook-signature "
        "with it (Standard Webhooks)."
    )


class ChannelPage(BaseModel):
    items: list[ChannelOut]
    next_cursor: str | None


class DeliveryOut(BaseModel):
    id: uuid.UUID
    channel_id: uuid.UUID
    event_id: uuid.UUID | None
    event_type: str
    payload: dict[str, Any]
    status: DeliveryStatus
    attempts: int
    next_attempt_at: datetime
    last_error: str | None
    delivered_at: datetime | None
    created_at: datetime


class DeliveryPage(BaseModel):
    items: list[DeliveryOut]
    next_cursor: str | None


class DeliveryQuery(PageQuery):
    status: DeliveryStatus | None = None
    channel_id: uuid.UUID | None = None
