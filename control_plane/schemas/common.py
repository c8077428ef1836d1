"""Shapes shared by every resource: errors, pagination, health."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from control_plane.store.pagination import decode_cursor


class Request(BaseModel):
    """Base of request bodies and queries: unknown fields are an error, not silently dropped."""

    model_config = ConfigDict(extra="forbid")


class ErrorBody(BaseModel):
    code: str
    message: str
    details: Any = None
    request_id: str | None = None


class ErrorResponse(BaseModel):
    error: ErrorBody


class PageQuery(Request):
    limit: int = Field(50, ge=1, le=200, description="Page size.")
    cursor: str | None = Field(
        None, max_length=64, description="Opaque cursor from a previous page's next_cursor."
    )

    @field_validator("cursor")
    @classmethod
    def _cursor_is_ours(cls, value: str | None) -> str | None:
        if value is not None:
            decode_cursor(value)  # InvalidCursorError is a ValueError: a 422 naming "cursor"
        return value


class Health(BaseModel):
    status: str
    checks: dict[str, str] = Field(default_factory=dict)


NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]*$"
SLUG_PATTERN = r"^[a-z0-9][a-z0-9-]*$"
EMAIL_PATTERN = r"^[^@\s]+@[^@\s]+\.[^@\s]+$"
