"""price_overrides: an org's own prices (negotiated discounts, private models), versioned.

Rows are never rewritten: setting a price for a model adds a row and retires the one it
replaces, deleting retires it. Every change takes the org's next version number, so the org's
override set has one version (the highest ``version`` or ``retired_version`` it holds) that
increases on every change, and a cost priced with it names it (``<table>+org.<n>``).
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from control_plane.store.tables._base import Base, OrgOwned, created_column
from control_plane.store.tables.calls import ExactMoney
from pricing import RATE_CLASSES

# Rate classes an override may set, a column each: USD per million tokens (``request``: USD
# per request). Pricing names them; the columns below spell them out for the type checker, and
# tests/pricing/test_vocabulary.py checks that they agree.
RATE_COLUMNS = RATE_CLASSES


class PriceOverrideRow(OrgOwned, Base):
    __tablename__ = "price_overrides"
    __table_args__ = (
        UniqueConstraint("org_id", "version"),
        Index(None, "org_id", "retired_version"),
    )

    model: Mapped[str] = mapped_column(String(200))
    provider: Mapped[str | None] = mapped_column(String(50))
    input: Mapped[Decimal | None] = mapped_column(ExactMoney())
    output: Mapped[Decimal | None] = mapped_column(ExactMoney())
    cached_read: Mapped[Decimal | None] = mapped_column(ExactMoney())
    cache_write_5m: Mapped[Decimal | None] = mapped_column(ExactMoney())
    cache_write_1h: Mapped[Decimal | None] = mapped_column(ExactMoney())
    reasoning: Mapped[Decimal | None] = mapped_column(ExactMoney())
    audio_input: Mapped[Decimal | None] = mapped_column(ExactMoney())
    audio_output: Mapped[Decimal | None] = mapped_column(ExactMoney())
    request: Mapped[Decimal | None] = mapped_column(ExactMoney())
    discount_percent: Mapped[Decimal | None] = mapped_column(ExactMoney())
    # Calls that start before this instant keep the catalogue price; None: every call.
    effective_from: Mapped[datetime | None] = mapped_column()
    version: Mapped[int] = mapped_column(Integer)
    created_by: Mapped[str | None] = mapped_column(String(320))
    created_at: Mapped[datetime] = created_column()
    # Set when a later change replaced or deleted this override (the version of that change).
    retired_version: Mapped[int | None] = mapped_column(Integer)
    retired_at: Mapped[datetime | None] = mapped_column()
