"""proxy_heartbeats: the control-state version each proxy last reported holding for an org."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import BigInteger, Float, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from control_plane.store.tables._base import Base, created_column


class ProxyHeartbeat(Base):
    __tablename__ = "proxy_heartbeats"

    org_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), primary_key=True
    )
    proxy_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    version: Mapped[int] = mapped_column(BigInteger)  # -1: holds no state for the org yet
    first_seen_at: Mapped[datetime] = created_column()
    seen_at: Mapped[datetime] = created_column()
    # When the proxy last confirmed its control state against Redis (None: never, or an older
    # proxy that does not report it), and the age past which it treats that state as stale.
    state_confirmed_at: Mapped[datetime | None] = mapped_column()
    state_max_age_seconds: Mapped[float | None] = mapped_column(Float)
