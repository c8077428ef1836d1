"""cost_corrections: one row per call whose cost a re-pricing changed, old and new side by side.

A re-pricing run is one ``batch_id``; its rows say what each call cost before and after and
under which price versions, so a corrected figure can always be explained. No foreign key to
calls (partitioned, and outlived by its history), like the fact table itself.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal

from sqlalchemy import Index, String
from sqlalchemy.orm import Mapped, mapped_column

from control_plane.store.tables._base import Base, OrgOwned, utcnow
from control_plane.store.tables.calls import ExactMoney


class CostCorrection(OrgOwned, Base):
    __tablename__ = "cost_corrections"
    __table_args__ = (Index(None, "org_id", "batch_id"), Index(None, "org_id", "call_id"))

    call_id: Mapped[uuid.UUID] = mapped_column()
    call_started_at: Mapped[datetime] = mapped_column()
    old_total: Mapped[Decimal | None] = mapped_column(ExactMoney())
    new_total: Mapped[Decimal | None] = mapped_column(ExactMoney())
    old_price_version: Mapped[str | None] = mapped_column(String(100))
    new_price_version: Mapped[str | None] = mapped_column(String(100))
    corrected_at: Mapped[datetime] = mapped_column(default=utcnow)
    batch_id: Mapped[uuid.UUID] = mapped_column()
    actor: Mapped[str | None] = mapped_column(String(320))
