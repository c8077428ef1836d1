"""organizations: the tenant. Every org-scoped row points here through ``org_id``."""

from __future__ import annotations

import uuid

from sqlalchemy import String, true
from sqlalchemy.orm import Mapped, mapped_column

from control_plane.store.tables._base import Base, Timestamped, id_column


class Organization(Timestamped, Base):
    __tablename__ = "organizations"

    id: Mapped[uuid.UUID] = id_column()
    slug: Mapped[str] = mapped_column(String(63), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    timezone: Mapped[str] = mapped_column(String(64))
    # An unknown agent name presented with a valid key of this org: registered on first use
    # (True) or refused by the proxy before forwarding (False). Published in the snapshot.
    auto_register_agents: Mapped[bool] = mapped_column(default=True, server_default=true())
