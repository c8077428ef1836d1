"""agents: the registry of workloads whose LLM calls the proxy meters and gates."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from control_plane.store.tables._base import Base, OrgOwned, Timestamped, one_of

AGENT_STATUSES = ("active", "paused", "killed")


class Agent(OrgOwned, Timestamped, Base):
    __tablename__ = "agents"
    __table_args__ = (UniqueConstraint("org_id", "name"), one_of("status", AGENT_STATUSES))

    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(String(1000))
    team_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("teams.id", ondelete="SET NULL"), index=True
    )
    provider: Mapped[str | None] = mapped_column(String(50))
    environment: Mapped[str | None] = mapped_column(String(50))
    tags: Mapped[dict[str, Any]] = mapped_column(default=dict)
    config: Mapped[dict[str, Any]] = mapped_column(default=dict)
    status: Mapped[str] = mapped_column(String(10), default="active")
