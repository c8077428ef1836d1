"""notification_channels: where an org's alerts go (webhook, Slack, e-mail)."""

from __future__ import annotations

from sqlalchemy import String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from control_plane.store.tables._base import Base, OrgOwned, Timestamped, one_of

CHANNEL_KINDS = ("webhook", "slack", "email")


class NotificationChannel(OrgOwned, Timestamped, Base):
    __tablename__ = "notification_channels"
    __table_args__ = (UniqueConstraint("org_id", "name"), one_of("kind", CHANNEL_KINDS))

    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(10))
    url: Mapped[str | None] = mapped_column(String(2000))  # webhook and slack
    recipients: Mapped[list[str]] = mapped_column(default=list)  # email
    # Sealed (control_plane.secretbox): a webhook channel's signing secret (Standard Webhooks
    # "whsec_<base64>", which the receiver also holds to verify signatures), or a Slack
    # channel's webhook URL (its credential; ``url`` then keeps only scheme and host).
    secret: Mapped[str | None] = mapped_column(Text)
    enabled: Mapped[bool] = mapped_column(default=True)
