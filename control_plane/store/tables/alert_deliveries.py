"""alert_deliveries: one message to one channel, retried with backoff until delivered or dead.

Rows are written in the transaction that produced the alert, so an alert cannot be lost
between "decided" and "queued"; the worker sends the due ones.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from control_plane.store.tables._base import Base, OrgOwned, Timestamped, one_of, utcnow

DELIVERY_STATUSES = ("pending", "delivered", "dead")


class AlertDelivery(OrgOwned, Timestamped, Base):
    __tablename__ = "alert_deliveries"
    __table_args__ = (
        one_of("status", DELIVERY_STATUSES),
        Index(None, "status", "next_attempt_at"),
        Index(None, "org_id", "id"),
        # A policy alert is queued once per channel: the lookup before queueing and the
        # guarantee under two racing ingests (the loser's batch rolls back; its retry finds it).
        Index(None, "org_id", "event_type", "dedupe_key", "channel_id", unique=True),
    )

    channel_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("notification_channels.id", ondelete="CASCADE"), index=True
    )
    event_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("budget_alert_events.id", ondelete="SET NULL"), index=True
    )
    event_type: Mapped[str] = mapped_column(String(50))
    payload: Mapped[dict[str, Any]] = mapped_column()
    dedupe_key: Mapped[str | None] = mapped_column(String(64))  # one alert per cause
    status: Mapped[str] = mapped_column(String(10), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_error: Mapped[str | None] = mapped_column(String(1000))
    delivered_at: Mapped[datetime | None]
