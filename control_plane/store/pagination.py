"""Opaque cursor pagination in a stable order: newest first by UUIDv7 id.

Ids are time-ordered and unique, so ``id < last_seen`` is a total, stable order that needs no
offset and does not skip or repeat rows when new ones arrive between pages.
"""

from __future__ import annotations

import base64
import binascii
import json
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, and_, or_
from sqlalchemy.ext.asyncio import AsyncSession
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


@dataclass(frozen=True)
class Keyset:
    """An order other than by id alone: by ``key`` descending, then by the row's ``row_id``.
    Its cursor names the order (``kind``), so a cursor of another list or order is refused."""

    kind: str
    key: InstrumentedAttribute[Any]
    row_id: InstrumentedAttribute[uuid.UUID]
    parse: Callable[[str], Any]  # the key's value, from its text in the cursor

    async def page[T](
        self, session: AsyncSession, stmt: Select[T], cursor: str | None, limit: int
    ) -> Page[T]:
        if cursor is not None:
            value, last_id = self._decode(cursor)
            stmt = stmt.where(or_(self.key < value, and_(self.key == value, self.row_id < last_id)))
        stmt = stmt.order_by(self.key.desc(), self.row_id.desc()).limit(limit + 1)
        rows = list((await session.execute(stmt)).scalars().all())
        items = rows[:limit]
        return Page(items=items, next_cursor=self._encode(items[-1]) if len(rows) > limit else None)

    def _encode(self, row: object) -> str:
        value = getattr(row, self.key.key)
        text = value.isoformat() if isinstance(value, datetime) else str(value)
        raw = json.dumps([self.kind, text, str(getattr(row, self.row_id.key))]).encode()
        return base64.urlsafe_b64encode(raw).decode().rstrip("=")

    def _decode(self, cursor: str) -> tuple[Any, uuid.UUID]:
        try:
            raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
            kind, value, last_id = json.loads(raw)
            if kind != self.kind:
                raise ValueError("a cursor of another list or order")
            return self.parse(value), uuid.UUID(last_id)
        except (ValueError, TypeError, binascii.Error, ArithmeticError) as exc:
            raise InvalidCursorError("cursor is not valid") from exc
