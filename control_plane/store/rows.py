"""The row operations every table's store functions share.

Each table module keeps its own named functions (``get_team``, ``list_agents``...), so callers
read in the table's words; those functions are thin and build on these few helpers: add a row,
read one row, read an org's row by id, page through an org's rows, change or delete a row.
Like every store function they flush and never commit: the handler owns the transaction.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any, Protocol, cast

from sqlalchemy import ColumnElement, Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute, Mapped

from control_plane.store.pagination import Page, make_page, page_query
from control_plane.store.tables import Base


class OrgRow(Protocol):
    """A table whose rows belong to one org and have a UUIDv7 id (its columns, as the class
    holds them; the tables are cast to it, the ORM's descriptors do not match a protocol)."""

    id: Mapped[uuid.UUID]
    org_id: Mapped[uuid.UUID]


async def add_row[T](session: AsyncSession, row: T) -> T:
    session.add(row)
    await session.flush()
    return row


async def find_row[T](
    session: AsyncSession, model: type[T], *where: ColumnElement[bool], lock: bool = False
) -> T | None:
    """The one row of ``model`` that matches ``where``, if any (``lock``: FOR UPDATE)."""
    stmt = select(model).where(*where)
    if lock:
        stmt = stmt.with_for_update()
    return (await session.execute(stmt)).scalar_one_or_none()


async def list_rows[T](
    session: AsyncSession,
    model: type[T],
    *where: ColumnElement[bool],
    order_by: Sequence[ColumnElement[Any] | InstrumentedAttribute[Any]],
    limit: int | None = None,
) -> list[T]:
    """The rows of ``model`` that match ``where``, in ``order_by`` order (at most ``limit``)."""
    stmt = select(model).where(*where).order_by(*order_by).limit(limit)
    return list((await session.execute(stmt)).scalars().all())


async def find_owning_org(
    session: AsyncSession,
    definer: str,
    org_column: InstrumentedAttribute[uuid.UUID],
    key: InstrumentedAttribute[str],
    value: str,
) -> uuid.UUID | None:
    """Pre-org lookup: the org of the row whose ``key`` is ``value``. A key or token is
    presented before the org is known; on PostgreSQL row-level security hides the rows, so the
    SECURITY DEFINER function ``definer`` answers this one question across orgs."""
    if session.get_bind().dialect.name == "postgresql":
        stmt = select(getattr(func, definer)(value, type_=org_column.type))
    else:
        stmt = select(org_column).where(key == value)
    return (await session.execute(stmt)).scalar_one_or_none()


async def get_org_row[T](
    session: AsyncSession, model: type[T], org_id: uuid.UUID, row_id: uuid.UUID
) -> T | None:
    table = cast(type[OrgRow], model)
    return await find_row(session, model, table.org_id == org_id, table.id == row_id)


def where_given[S: Select[*tuple[Any, ...]]](
    stmt: S, *matches: tuple[InstrumentedAttribute[Any], Any]
) -> S:
    """``stmt`` narrowed to ``column == value`` for each match whose value is given (not None)."""
    for column, value in matches:
        if value is not None:
            stmt = stmt.where(column == value)
    return stmt


def where_within[S: Select[*tuple[Any, ...]]](
    stmt: S, column: InstrumentedAttribute[Any], start: Any, end: Any
) -> S:
    """``stmt`` narrowed to ``start <= column < end``, each bound when given (not None)."""
    if start is not None:
        stmt = stmt.where(column >= start)
    if end is not None:
        stmt = stmt.where(column < end)
    return stmt


async def list_page[T](
    session: AsyncSession,
    stmt: Select[T],
    id_column: InstrumentedAttribute[uuid.UUID],
    cursor: str | None,
    limit: int,
) -> Page[T]:
    """One page of ``stmt``'s rows (each with an ``id``), newest first (see ``pagination``)."""
    rows = (await session.execute(page_query(stmt, id_column, cursor, limit))).scalars().all()
    return make_page(rows, limit, lambda row: row.id)


async def list_org_page[T](
    session: AsyncSession, model: type[T], org_id: uuid.UUID, cursor: str | None, limit: int
) -> Page[T]:
    """One page of the org's rows of ``model``, newest first."""
    table = cast(type[OrgRow], model)
    stmt = select(model).where(table.org_id == org_id)
    return await list_page(session, stmt, table.id, cursor, limit)


async def update_row[T](session: AsyncSession, row: T, changes: dict[str, Any]) -> T:
    for field, value in changes.items():
        setattr(row, field, value)
    await session.flush()
    return row


async def delete_row(session: AsyncSession, row: object) -> None:
    await session.delete(row)
    await session.flush()


class OrgTable[T: Base]:
    """The usual functions of one org-scoped table, bound to it, for its store module to name
    (``get_team = TEAMS.get``)."""

    def __init__(self, model: type[T]) -> None:
        self.model = model

    async def create(self, session: AsyncSession, *, org_id: uuid.UUID, **fields: Any) -> T:
        return await add_row(session, self.model(org_id=org_id, **fields))

    async def get(self, session: AsyncSession, org_id: uuid.UUID, row_id: uuid.UUID) -> T | None:
        return await get_org_row(session, self.model, org_id, row_id)

    async def page(
        self,
        session: AsyncSession,
        org_id: uuid.UUID,
        *,
        cursor: str | None = None,
        limit: int = 50,
    ) -> Page[T]:
        return await list_org_page(session, self.model, org_id, cursor, limit)
