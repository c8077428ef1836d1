"""policies: each org's policies, the document admins write (``policies.Policy``) as JSON.

The document is the truth and is stored whole (``spec``), so a proxy receives exactly what the
API validated; ``name``, ``enabled`` and ``mode`` are copied out for listing and for the unique
name per org. ``revision`` counts changes, so an admin (and ``apply``) can tell versions apart.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from control_plane.store.tables._base import Base, OrgOwned, Timestamped


class PolicyRow(OrgOwned, Timestamped, Base):
    __tablename__ = "policies"
    __table_args__ = (UniqueConstraint("org_id", "name"), Index(None, "org_id", "id"))

    name: Mapped[str] = mapped_column(String(100))
    enabled: Mapped[bool] = mapped_column(default=True)
    mode: Mapped[str] = mapped_column(String(10))
    spec: Mapped[dict[str, Any]] = mapped_column()
    revision: Mapped[int] = mapped_column(Integer, default=1)
    created_by: Mapped[str | None] = mapped_column(String(320))
