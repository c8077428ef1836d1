"""events: the run timeline beyond its calls (events SDKs report; kill/resume, policy and
approval events later). A call's own started/finished events are read from ``calls``, not
written twice. Partitioned by ``at`` month on PostgreSQL like ``calls``, so both expire together.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import Index, String
from sqlalchemy.orm import Mapped, mapped_column

from control_plane.store.tables._base import Base


class Event(Base):
    __tablename__ = "events"
    __table_args__ = (
        Index(None, "run_pk", "at"),
        {"postgresql_partition_by": "RANGE (at)"},
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(primary_key=True)
    org_id: Mapped[uuid.UUID] = mapped_column()
    run_pk: Mapped[uuid.UUID] = mapped_column()
    kind: Mapped[str] = mapped_column(String(50))  # call.started | call.finished | ...
    call_id: Mapped[uuid.UUID | None] = mapped_column()
    data: Mapped[dict[str, Any]] = mapped_column()
