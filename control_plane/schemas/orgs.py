"""Org profile models."""

from __future__ import annotations

import uuid
import zoneinfo
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field, field_validator

from control_plane.schemas.common import Request


def check_timezone(value: str | None) -> str | None:
    if value is None:
        return None
    try:
        zoneinfo.ZoneInfo(value)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"unknown time zone {value!r}") from exc
    return value


class OrgOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    slug: str
    name: str
    timezone: str
    auto_register_agents: bool
    created_at: datetime


class OrgUpdate(Request):
    name: str | None = Field(None, min_length=1, max_length=200)
    timezone: str | None = Field(None, max_length=64, examples=["Europe/Paris"])
    auto_register_agents: bool | None = Field(
        None,
        description=(
            "An unknown agent name used with a valid key of this org is registered on first use "
            "(true, the default; audited) or refused by the proxy before forwarding (false)."
        ),
    )

    _tz = field_validator("timezone")(check_timezone)
