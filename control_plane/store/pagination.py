"""Opaque cursor pagination in a stable order: newest first by UUIDv7 id.

Ids are time-ordered and unique, so ``id < last_seen`` is a total, stable order that needs no
offset and does not skip or repeat rows when new ones arrive between pages.
"""

from __future__ import annotations

import base64
import binascii
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select
from sqlalchemy.orm import InstrumentedAttribute


class InvalidCursorError(ValueError):
    pass


@dataclass(frozen=True)
class Page[T]:
    items: list[T]
    next_cursor: str | None


def encode_cursor(last_id: uuid.UUID) -> str:
    return base64.urlsafe_b64encode(b"v1:" + last_id.bytes).decode().rstrip("=")


def decode_cursor(cursor: str) -> uuid.UUID:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
    except (binascii.Error, ValueError) as exc:
        raise InvalidCursorError("cursor is not valid") from exc
    if not raw.startswith(b"v1:") or len(raw) != 19:
        raise InvalidCursorError("cursor is not valid")
    return uuid.UUID(bytes=raw[3:])


def page_query[S: Select[*tuple[Any, ...]]](
    stmt: S, id_column: InstrumentedAttribute[uuid.UUID], cursor: str | None, limit: int
) -> S:
    """Apply order, cursor and limit (one extra row tells whether a next page exists)."""
    if cursor is not None:
        stmt = stmt.where(id_column < decode_cursor(cursor))
    return stmt.order_by(id_column.desc()).limit(limit + 1)


def make_page[T](rows: Sequence[T], limit: int, id_of: Any) -> Page[T]:
    items = list(rows[:limit])
    more = len(rows) > limit
    return Page(items=items, next_cursor=encode_cursor(id_of(items[-1])) if more else None)
