"""users: a global identity (e-mail + password hash) that joins orgs through memberships."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from control_plane.store.tables._base import Base, created_column, id_column


class User(Base):
    __tablename__ = "users"

    id: Mapped[uuid.UUID] = id_column()
    email: Mapped[str] = mapped_column(String(320), unique=True)  # stored lower-cased
    # argon2id encoded hash; NULL for an invited user who has not set a password yet.
    password_hash: Mapped[str | None] = mapped_column(String(255))
    display_name: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = created_column()
    # Set when the password is changed or reset: every token issued before it stops working.
    credentials_changed_at: Mapped[datetime | None] = mapped_column()
