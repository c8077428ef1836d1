"""Shapes shared by every resource: errors, pagination, health."""

from __future__ import annotations

import re
from datetime import date
from typing import Annotated, Any

from pydantic import AwareDatetime, BaseModel, BeforeValidator, ConfigDict, Field, field_validator

from control_plane.store.pagination import decode_cursor


class Request(BaseModel):
    """Base of request bodies and queries: unknown fields are an error, not silently dropped."""

    model_config = ConfigDict(extra="forbid")


_NUMBER = re.compile(r"^\s*[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?\s*$")


def _not_a_number(value: Any) -> Any:
    """pydantic reads a number as Unix seconds (``to=0.5`` meant 1970): refuse it, the API
    documents ISO 8601 date-times."""
    number = isinstance(value, int | float) and not isinstance(value, bool)
    if number or (isinstance(value, str) and _NUMBER.match(value)):
        raise ValueError(
            "must be an ISO 8601 date-time with a UTC offset (2026-12-01T00:00:00Z), not a number"
        )
    return value


# Every date-time a request carries (query or body): ISO 8601 with an offset, never a number.
Instant = Annotated[AwareDatetime, BeforeValidator(_not_a_number)]
InstantOrDay = Annotated[AwareDatetime | date, BeforeValidator(_not_a_number)]


def from_row[M: BaseModel](model: type[M], row: object, **fields: Any) -> M:
    """``model`` filled from ``row``'s attributes of the same names; ``fields`` give the values
    the row has under another name or not at all (pydantic validates the whole)."""
    same = {
        name: getattr(row, name)
        for name in model.model_fields
        if name not in fields and hasattr(row, name)
    }
    return model.model_validate({**same, **fields})


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
