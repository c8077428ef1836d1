"""Declarative base, portable column types and the constraint naming convention.

Every table of the control plane hangs off this one ``Base.metadata``. The naming convention
makes constraint names deterministic, so later migrations can drop or alter them by name on
both PostgreSQL and SQLite.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, CheckConstraint, DateTime, ForeignKey, MetaData, Numeric, Uuid
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator

from agentops.ids import uuid7

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

JSONType = JSON().with_variant(JSONB(), "postgresql")
"""JSON everywhere, JSONB on PostgreSQL (indexable, compact)."""

Money = Numeric(20, 10)
"""Money is exact: NUMERIC, read back as Decimal."""


class UTCDateTime(TypeDecorator[datetime]):
    """A timezone-aware timestamp on every backend.

    PostgreSQL keeps ``timestamptz``; SQLite stores text without an offset, so values are
    normalised to UTC on the way in and tagged UTC on the way out.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetimes are not stored; attach a timezone")
        return value.astimezone(UTC)

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        assert isinstance(value, datetime)
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def utcnow() -> datetime:
    return datetime.now(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {
        datetime: UTCDateTime(),
        uuid.UUID: Uuid(),
        dict[str, Any]: JSONType,
        list[str]: JSONType,
    }


def id_column() -> Mapped[uuid.UUID]:
    """Primary key: a client-side UUIDv7, so ids are time-ordered and known before INSERT."""
    return mapped_column(primary_key=True, default=uuid7, sort_order=-2)


def org_column() -> Mapped[uuid.UUID]:
    """The owning org: its rows go when the org goes (row-level security keys on it)."""
    return mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"), sort_order=-1)


def updated_column() -> Mapped[datetime]:
    return mapped_column(default=utcnow, onupdate=utcnow)


def created_column() -> Mapped[datetime]:
    # Python-side defaults, not server defaults: inserts need no RETURNING, which matters
    # under row-level security (RETURNING re-checks the SELECT policy).
    return mapped_column(default=utcnow)


def one_of(column: str, values: tuple[str, ...]) -> CheckConstraint:
    """CHECK that ``column`` holds one of ``values`` (the constraint is named after the column)."""
    return CheckConstraint(f"{column} IN {values!r}", name=column)


class OrgOwned:
    """Mixin of an org's table: a UUIDv7 primary key and the owning org (first in the table)."""

    id: Mapped[uuid.UUID] = id_column()
    org_id: Mapped[uuid.UUID] = org_column()


class Timestamped:
    """Mixin of a table whose rows are changed in place: when each was created and last changed."""

    created_at: Mapped[datetime] = created_column()
    updated_at: Mapped[datetime] = updated_column()
